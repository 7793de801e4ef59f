"""Clients of a running ReportQA server for other frameworks (LangChain: `bot.integrations.langchain`)."""
