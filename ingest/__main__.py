"""CLI: `python -m ingest [PATH ...] [--index DIR] [--rebuild]` and `python -m ingest inspect FILE --json`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from bot.errors import ReportQAError
from bot.settings import Settings


def _inspect(argv: list[str]) -> int:
    from ingest.load import load_report
    from ingest.parse import parse_text

    ap = argparse.ArgumentParser(prog="python -m ingest inspect", description="Show a parsed report.")
    ap.add_argument("file", type=Path)
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    args = ap.parse_args(argv)
    rep = parse_text(load_report(args.file))
    m = rep.meta
    out = {
        "title": m.title,
        "issuer": m.issuer,
        "region": m.region.model_dump(),
        "year": m.years[0] if len(m.years) == 1 else (m.years or None),
        "years": m.years,
        "published": m.published,
        "sections": rep.section_dicts(),
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        print(
            f"{m.title}\n  issuer: {m.issuer}\n  region: {m.region.label()}\n  years: {m.years}"
            f"\n  published: {m.published}"
        )
        for s in rep.section_dicts():
            path = s["path"]
            assert isinstance(path, list)
            print("  " * len(path) + str(path[-1]), f"[{s['start']}:{s['end']}]")
    return 0


def _ingest(argv: list[str]) -> int:
    from bot.embed import make_embedder
    from ingest.index import ingest

    ap = argparse.ArgumentParser(prog="python -m ingest", description="Ingest report files into the index.")
    ap.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the reports folder)")
    ap.add_argument("--index", type=Path, help="index folder (default: REPORTQA_INDEX_DIR or .data/index)")
    ap.add_argument("--rebuild", action="store_true", help="ignore the previous index and rebuild all")
    ap.add_argument("--no-dense", action="store_true", help="BM25 only: skip embeddings")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args(argv)
    overrides = {"index_dir": args.index} if args.index else {}
    settings = Settings(**overrides)
    paths = args.paths or [settings.reports_dir]
    embedder = None if args.no_dense or not settings.use_dense else make_embedder(settings)
    summary = ingest(paths, settings, embedder, rebuild=args.rebuild, progress=not args.quiet)
    for err in summary.errors:
        print(f"rejected: {err}", file=sys.stderr)
    print(summary.line())
    return 0 if summary.reports or not summary.errors else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    try:
        if argv and argv[0] == "inspect":
            return _inspect(argv[1:])
        return _ingest(argv)
    except ReportQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
