"""The HTTP edge: the FastAPI app (`bot.server.app.create_app`), its routers, the request guard and the widget."""
