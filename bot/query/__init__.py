"""Query understanding: a question (and its history) made explicit as a `Query`.

model      Query, QType
kinds      classify: the kind of fact asked for and its measure word; COMPARE, SURVEY
regions    the places a question names, for scoping it to reports
followup   follow-ups: what a question leaves to the one before it, the answer item it points at
parser     QueryParser: parses questions against the catalogue of report metadata
"""

from bot.query.kinds import classify
from bot.query.model import QType, Query
from bot.query.parser import QueryParser

__all__ = ["QType", "Query", "QueryParser", "classify"]
