"""ReportQA: answers questions in Chinese about government reports, with verified citations."""

__version__ = "0.1.0"
