"""CLI: `python -m bot ask "问题" [--history FILE] [--json] [--index DIR]`, `python -m bot serve` and
`python -m bot llm serve [--port P] [--key K]` (the optional local model)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from bot.errors import ReportQAError
from bot.settings import Settings


def _ask(argv: list[str]) -> int:
    from bot.pipeline import ReportQA
    from bot.types import HistoryTurn

    ap = argparse.ArgumentParser(prog="python -m bot ask", description="Ask the reports a question.")
    ap.add_argument("question")
    ap.add_argument("--history", type=Path, help="JSON file: [{role, content}, ...] of earlier turns")
    ap.add_argument("--json", action="store_true", help="print the answer contract as JSON")
    ap.add_argument("--index", type=Path, help="index folder (default: REPORTQA_INDEX_DIR or .data/index)")
    ap.add_argument("--report", action="append", help="restrict to a report id (repeatable)")
    args = ap.parse_args(argv)
    settings = Settings(**({"index_dir": args.index} if args.index else {}))
    history = []
    if args.history:
        try:
            raw = json.loads(args.history.read_text(encoding="utf-8"))
            history = [HistoryTurn(**t) for t in raw]
        except (OSError, ValueError, TypeError) as exc:
            print(f"error: cannot read history {args.history}: {exc}", file=sys.stderr)
            return 1
    qa = ReportQA.from_settings(settings)
    ans = qa.ask(args.question, history, args.report)
    if args.json:
        print(ans.model_dump_json(indent=1))
    else:
        print(ans.answer)
        for i, c in enumerate(ans.citations, 1):
            print(f"[{i}] {c.title} › {' > '.join(c.section) or '（正文）'} [{c.start}:{c.end}]\n    「{c.quote}」")
    return 0


def _serve(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bot serve", description="Serve the API and the widget.")
    ap.add_argument("--host")
    ap.add_argument("--port", type=int)
    ap.add_argument("--workers", type=int, help="worker processes (default: REPORTQA_WORKERS, 2 on 2+ cores)")
    args = ap.parse_args(argv)
    settings = Settings()
    import uvicorn

    from bot.server.httpserver import uvicorn_options

    uvicorn.run(
        "bot.server.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers or settings.workers,
        **uvicorn_options(settings),
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not argv or argv[0] not in ("ask", "serve", "llm"):
        print(
            'usage: python -m bot ask "问题" [--json] | python -m bot serve [--host H] [--port P]'
            " | python -m bot llm serve [--port P] [--key K]",
            file=sys.stderr,
        )
        return 2
    try:
        if argv[0] == "llm":
            from bot import localserver

            return localserver.main(argv[1:])
        return _ask(argv[1:]) if argv[0] == "ask" else _serve(argv[1:])
    except ReportQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
