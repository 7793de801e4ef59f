"""Metadata and scoped questions on real government pages kept outside the repository.

    python bench/realpages.py --pages /work/scratch/realpages [--split heldout] [--questions] [--show]

The folder holds the pages (tune/*.txt, heldout/*.txt), ``truth.jsonl`` (issuer, province, city, district,
years per page, labelled by someone who read only the pages) and optionally ``questions.jsonl`` (gold-format
questions scoped by place and year). Page texts are public web pages copied for measuring; they are never
committed. `--show` prints each wrong field, and is meant for the tune split only: the held-out split is
measured, not studied.

A report's metadata is right when its issuer names the same body (the same bureau kind at the same place) and
its province, city, district and years equal the labels (a municipality's province may be written as the city
or left empty: both are the same place, as is a municipality's own body labelled with no city; a development
zone labelled under its city alone may be found as a named area at the district level). A label marked
``"confident": false`` (the page does not let a reader tell the issuer or its place) is left out of the
metadata figures and counted as skipped. With --questions the sample reports are ingested beside the pages
(BM25 only) and every question is asked: a scoped question is right when it is answered with its key facts
from the right page, or refused when it is unanswerable.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.text.analysis import normalize
from bot.text.gazetteer import Gazetteer
from bot.text.orgs import bureau_kind, town_of_issuer
from bot.types import ReportMeta
from ingest.load import load_report
from ingest.parse import parse_text

REPO = Path(__file__).resolve().parents[1]
FIELDS = ("issuer", "province", "city", "district", "years")


def _same_issuer(ours: str | None, truth: str | None, meta: ReportMeta, label: dict[str, Any]) -> bool:
    if not truth:
        return ours is None or not label.get("issuer")
    if not ours:
        return False
    place_ok = (meta.region.district or meta.region.city) == (label.get("district") or label.get("city"))
    place_ok = place_ok or (not meta.region.district and _municipality_city(meta.region.city, label))
    same_kind = bureau_kind(_joint(ours)) == bureau_kind(_joint(truth))
    if re.search(r"(?:街道|镇|乡)$", _joint(truth)):  # a town or street labelled bare names its own body
        same_kind = same_kind or town_of_issuer(_joint(ours)) == bureau_kind(_joint(truth))
    return (place_ok or _zone_as_district(meta, label)) and same_kind


def _joint(issuer: str) -> str:
    """Joint issuers written with a space or a 、 between them: one way; traditional characters as simplified
    (a label copied from a page in traditional characters names the same body)."""
    return re.sub(r"[\s、]+", " ", normalize(issuer).strip())


def _zone_as_district(meta: ReportMeta, label: dict[str, Any]) -> bool:
    """A development zone labelled under its city alone, found as a named area below it: the same place (the
    bot keeps a zone, like a new area, at the district level)."""
    d = meta.region.district
    return (
        label.get("district") is None
        and bool(d)
        and not Gazetteer.default().is_division(d or "")
        and meta.region.city == label.get("city")
    )


def _same_municipality(got: dict[str, str | None], label: dict[str, Any]) -> bool:
    """A municipality (北京市, 上海市, 天津市, 重庆市) is a province and a city at once: labellers write its
    province as the city's name or leave it empty, and either is the same place."""
    city = got["city"]
    if not city or city != label.get("city") or not city.endswith("市"):
        return False
    return {got["province"], label.get("province")} <= {city, None}


def _municipality_city(city: str | None, label: dict[str, Any]) -> bool:
    """A municipality's own body (天津市卫生健康委员会) is labelled with the municipality as its city, or with
    no city (a province-level body): both are the same place."""
    return bool(city) and label.get("city") is None and not label.get("district") and label.get("province") == city


def check_page(root: Path, label: dict[str, Any]) -> dict[str, bool]:
    """Which fields of one page's metadata equal its labels."""
    meta = parse_text(load_report(root / label["file"], root)).meta
    got = {"province": meta.region.province, "city": meta.region.city, "district": meta.region.district}
    out = {k: got[k] == label.get(k) for k in ("province", "city", "district")}
    out["district"] = out["district"] or _zone_as_district(meta, label)
    out["province"] = out["province"] or _same_municipality(got, label)
    out["city"] = out["city"] or (not got["district"] and _municipality_city(got["city"], label))
    out["issuer"] = _same_issuer(meta.issuer, label.get("issuer"), meta, label)
    out["years"] = sorted(meta.years) == sorted(label.get("years") or [])
    out["_meta"] = meta  # type: ignore[assignment]
    return out


def metadata(root: Path, split: str, show: bool) -> dict[str, Any]:
    labels = [json.loads(x) for x in (root / "truth.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    labels = [lb for lb in labels if split == "all" or lb["file"].startswith(split + "/")]
    unsure = [lb for lb in labels if lb.get("confident") is False]
    labels = [lb for lb in labels if lb.get("confident") is not False]
    right = dict.fromkeys((*FIELDS, "all"), 0)
    for lb in labels:
        res = check_page(root, lb)
        meta: ReportMeta = res.pop("_meta")  # type: ignore[assignment]
        for f in FIELDS:
            right[f] += res[f]
        right["all"] += all(res[f] for f in FIELDS)
        right.setdefault("issuer+region", 0)
        right["issuer+region"] += all(res[f] for f in ("issuer", "province", "city", "district"))
        if show and not all(res.values()):
            wrong = [f for f in FIELDS if not res[f]]
            print(
                f"{lb['file']}: wrong {wrong}: ours issuer={meta.issuer} region={meta.region.model_dump()} "
                f"years={meta.years} | label issuer={lb.get('issuer')} "
                f"{lb.get('province')}/{lb.get('city')}/{lb.get('district')} years={lb.get('years')}"
            )
    n = len(labels)
    return {"pages": n, "unsure_skipped": len(unsure), **{k: round(v / n, 3) if n else None for k, v in right.items()}}


def questions(root: Path, split: str, show: bool = False) -> dict[str, Any]:
    """Ingest the samples and the pages (BM25 only) into a temporary index and ask every question."""
    from eval.__main__ import main as eval_main

    qfile = root / "questions.jsonl"
    items = [json.loads(x) for x in qfile.read_text(encoding="utf-8").splitlines() if x.strip()]
    wanted = {lb["file"] for lb in map(json.loads, (root / "truth.jsonl").read_text(encoding="utf-8").splitlines())}
    if split != "all":
        wanted = {f for f in wanted if f.startswith(split + "/")}
    with tempfile.TemporaryDirectory() as tmp:
        reports = Path(tmp) / "reports"
        for f in sorted(wanted):
            (reports / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(root / f, reports / f)
        for f in (REPO / "data" / "reports").glob("*.txt"):
            shutil.copy(f, reports / f.name)
        # answerable questions of the split's pages, and every unanswerable one
        keep = [it for it in items if not it["evidence"] or any(e["file"] in wanted for e in it["evidence"])]
        gold = Path(tmp) / "q.jsonl"
        gold.write_text("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in keep), encoding="utf-8")
        from bot.settings import Settings
        from ingest.index import ingest

        settings = Settings(index_dir=Path(tmp) / "index", cache_dir=Path(tmp) / "cache")
        ingest([reports], settings, None)
        out = Path(tmp) / "out"
        no_gate = Path(tmp) / "no-thresholds.json"
        no_gate.write_text("{}", encoding="utf-8")
        argv = ["run", "--gold", str(gold), "--reports", str(reports), "--index", str(settings.index_dir)]
        eval_main([*argv, "--out", str(out), "-q", "--thresholds", str(no_gate)])
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        answers = {
            a["id"]: a for a in map(json.loads, (out / "answers.jsonl").read_text(encoding="utf-8").splitlines())
        }
    scored = summary["items"]
    if show:
        asked = {it["id"]: it for it in keep}
        for s in scored:
            if not _scoped_right(s):
                print(f"{s['id']} {asked[s['id']]['question']} | {s['reason']} | {answers[s['id']]['answer'][:80]}")
    right = sum(1 for s in scored if _scoped_right(s))
    return {
        "questions": len(scored),
        "scoped_right": round(right / len(scored), 3) if scored else None,
        "pass_rate": summary["overall"]["pass_rate"],
    }


def _scoped_right(s: dict[str, Any]) -> bool:
    """Answered with every key fact and a citation on the right page, or rightly refused."""
    if not s["answerable"]:
        return bool(s["refused"])
    return not s["refused"] and not s["missing_facts"] and bool(s["cited"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=Path, required=True, help="folder with tune/, heldout/ and truth.jsonl")
    ap.add_argument("--split", choices=("tune", "heldout", "all"), default="heldout")
    ap.add_argument("--questions", action="store_true", help="also ask questions.jsonl (ingests the pages)")
    ap.add_argument("--show", action="store_true", help="print every wrong field (tune split only)")
    args = ap.parse_args()
    if args.show and args.split != "tune":
        ap.error("--show is for the tune split: held-out pages are measured, not studied")
    result: dict[str, Any] = {"split": args.split, "metadata": metadata(args.pages, args.split, args.show)}
    if args.questions and (args.pages / "questions.jsonl").exists():
        result["questions"] = questions(args.pages, args.split, args.show)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
