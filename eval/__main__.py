"""CLI: `python -m eval validate FILE` and `python -m eval run [--set NAME | --gold FILE] [--out DIR]`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import ReportQAError
from bot.settings import Settings
from eval.gate import DEFAULT_THRESHOLDS, check, load_thresholds
from eval.gold import validate_gold

if TYPE_CHECKING:
    from eval.runner import EvalRun

DEFAULT_REPORTS = Path("data/reports")
DEFAULT_OUT = Path("eval/out/latest")


def _validate(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval validate", description="Check a gold JSONL file.")
    ap.add_argument("file", type=Path, help="gold file or folder, e.g. eval/gold/gold.jsonl or eval/gold/heldout")
    ap.add_argument("--reports", type=Path, default=DEFAULT_REPORTS, help="reports folder (data/reports)")
    args = ap.parse_args(argv)
    from eval.gold import read_jsonl
    from eval.sets import set_files

    n, rc = 0, 0
    for f in set_files(args.file):
        problems = validate_gold(f, args.reports)
        if problems:
            print(f"{f}: {len(problems)} problem(s):", file=sys.stderr)
            for p in problems:
                print(f"  - {p}", file=sys.stderr)
            rc = 1
        n += len(read_jsonl(f)[0])
    if rc == 0:
        print(f"{n} items OK")
    return rc


def _run(argv: list[str]) -> int:
    from bot.pipeline import ReportQA
    from eval.sets import SETS, load_set, set_names

    ap = argparse.ArgumentParser(
        prog="python -m eval run",
        description="Run the bot over gold sets: by default the tuning, reworded and held-out sets side by side.",
    )
    ap.add_argument("--gold", type=Path, help="one gold file or folder instead of the named sets")
    ap.add_argument(
        "--set", action="append", dest="sets", metavar="NAME", help=f"a named set ({', '.join(SETS)}); repeatable"
    )
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    ap.add_argument("--k", type=int, help="retrieval_k for the bot (default: the settings' value)")
    ap.add_argument("--index", type=Path, help="index folder (default: REPORTQA_INDEX_DIR or .data/index)")
    ap.add_argument("--compare", type=Path, metavar="PREV", help="folder of an earlier run to compare with")
    ap.add_argument("--reports", type=Path, default=DEFAULT_REPORTS, help="reports folder (data/reports)")
    ap.add_argument("--thresholds", type=Path, help=f"thresholds to show and check (default {DEFAULT_THRESHOLDS})")
    ap.add_argument("--check", action="store_true", help="exit 1 when a threshold is not met")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    ap.add_argument("--judge", action="store_true", help="add an LLM-judged faithfulness column (needs REPORTQA_LLM_*)")
    args = ap.parse_args(argv)
    if args.k is not None and args.k <= 0:
        ap.error(f"--k must be > 0, got {args.k}")
    if args.gold and args.sets:
        ap.error("give --gold or --set, not both")

    single = args.gold is not None
    chosen = {args.gold.stem: args.gold} if single else set_names(args.sets)
    if not chosen:
        ap.error("no gold sets found under eval/gold; give --gold FILE")
    loaded = {name: load_set(path, args.reports) for name, path in chosen.items()}
    thresholds_path = args.thresholds or DEFAULT_THRESHOLDS
    overrides: dict[str, object] = {}
    if args.index:
        overrides["index_dir"] = args.index
    if args.k:
        overrides["retrieval_k"] = args.k
    settings = Settings(**overrides)  # type: ignore[arg-type]
    qa = ReportQA.from_settings(settings)
    failed = False
    overall_by_set: dict[str, dict[str, object]] = {}
    for name, items in loaded.items():
        set_name = "tune" if single else name
        thresholds = load_thresholds(thresholds_path, set_name) if args.thresholds or thresholds_path.exists() else None
        out = args.out if single else args.out / name
        prev = args.compare if single or args.compare is None else args.compare / name
        if not single and args.compare is not None and not (prev / "summary.json").exists():
            prev = None
        failed |= _run_set(qa, settings, name, chosen[name], items, out, prev, thresholds, thresholds_path, args)
        overall_by_set[name] = json.loads((out / "summary.json").read_text(encoding="utf-8"))["overall"]
    if not single:
        from eval.sets import sets_table, write_sets_page

        page = write_sets_page(args.out, overall_by_set, {"index_dir": str(settings.index_dir)})
        print("\n" + sets_table(overall_by_set) + f"\n\nwrote {page}")
    return 1 if args.check and failed else 0


def _run_set(
    qa: object,
    settings: Settings,
    name: str,
    path: Path,
    items: Sequence[object],
    out: Path,
    prev: Path | None,
    thresholds: dict[str, float] | None,
    thresholds_path: Path,
    args: argparse.Namespace,
) -> bool:
    """Run and report one set; True when a threshold is not met."""
    from eval.compare import compare, load_previous
    from eval.runner import evaluate, write_outputs
    from eval.table import totals_table

    previous = load_previous(prev) if prev is not None else None
    run = evaluate(
        qa,  # type: ignore[arg-type]
        items,  # type: ignore[arg-type]
        args.reports,
        settings.retrieval_k,
        info={"gold": str(path), "set": name, "index_dir": str(settings.index_dir)},
        progress=not args.quiet,
    )
    if previous is not None:
        run.comparison = compare(previous, str(prev), run.scores, run.overall)
    if args.judge:
        if not settings.llm_base_url:
            raise SystemExit("--judge needs an LLM: set REPORTQA_LLM_BASE_URL (and _MODEL, _API_KEY)")
        from bot.answer.llm import make_chat
        from eval.judge import judge_run

        run.info["judge"] = judge_run(make_chat(settings), run.items, run.records)
    paths = write_outputs(run, out, thresholds)

    print(f"\n== {name} ({path}, {len(items)} items)")
    print(totals_table(run.overall, run.by_type, settings.retrieval_k))
    _print_changes(run)
    failures = check(run.overall, thresholds) if thresholds else []
    if thresholds:
        print(f"\nthresholds ({thresholds_path}, {name}): " + ("all met" if not failures else "NOT met"))
        for f in failures:
            print(f"  - {f}")
    if "judge" in run.info:
        j = run.info["judge"]
        print(f"\nLLM judge: faithfulness {j['faithfulness']}, correctness {j['correctness']} ({j['judged']} judged)")
    print(f"\n{run.info['seconds']} s; wrote {', '.join(str(p) for p in paths.values())}")
    return bool(failures)


def _print_changes(run: EvalRun) -> None:
    """What changed since the run compared with, and the citations that do not slice their report's text."""
    if run.comparison is not None:
        c = run.comparison
        print(f"\ncompared with {c.previous}: {len(c.now_failing)} pass→fail, {len(c.now_passing)} fail→pass")
        for i, reason in c.now_failing:
            print(f"  now failing {i}: {reason}")
        for i, _ in c.now_passing:
            print(f"  now passing {i}")
    bad = run.info.get("invalid_citations") or []
    if bad:
        print(f"\n{len(bad)} citation(s) break text[start:end] == quote:")
        for b in bad:
            print(f"  - {b}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from eval.calibrate import main as _calibrate

    commands = {"validate": _validate, "run": _run, "calibrate": _calibrate}
    if not argv or argv[0] not in commands:
        print(
            "usage: python -m eval validate FILE [--reports DIR]\n"
            "       python -m eval run [--set NAME ...| --gold FILE] [--out DIR] [--k N] [--index DIR] [--compare PREV]"
            " [--reports DIR] [--thresholds FILE] [--check]",
            file=sys.stderr,
        )
        return 2
    try:
        return commands[argv[0]](argv[1:])
    except ReportQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
