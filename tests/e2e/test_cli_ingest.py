"""The `python -m ingest` CLI, run as a real subprocess: inspect --json, ingest summary, rejected files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO, SAMPLES_DIR, UNSEEN_DIR

from bot.settings import Settings
from bot.store.layout import read_current
from bot.store.reader import load_generation
from ingest.load import load_report
from ingest.parse import parse_text
from tests.unit.test_formats import GBK_PAGE, SHORTFALL, TITLE


def run_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m ingest ARGS` from `cwd` (so no .env or default .data folder of the repo is touched)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env["PYTHONPATH"] = str(REPO)
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, "-m", "ingest", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_inspect_json_prints_the_documented_fields(tmp_path: Path) -> None:
    path = SAMPLES_DIR / "001_db59ff4b70f4e062.txt"
    proc = run_cli("inspect", path, "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {"title", "issuer", "region", "year", "published", "sections"} <= set(out)
    assert out["title"] == "嘉定区人力资源和社会保障局2023年度法治政府建设情况报告"
    assert out["issuer"] == "嘉定区人力资源和社会保障局"
    assert out["region"]["city"] == "上海市" and out["region"]["district"] == "嘉定区"
    assert out["year"] == 2023
    assert out["published"] == "2024-03-08"
    assert all(set(s) == {"path", "start", "end"} for s in out["sections"])
    assert out["sections"] == parse_text(load_report(path)).section_dicts()
    assert {
        "path": ["一、2023年推进法治政府建设的主要举措和成效", "(二)着力健全政策法规体系,持续推进依法治理"],
        "start": 765,
        "end": 1489,
    } in out["sections"]


def test_inspect_json_lists_the_years_of_a_multi_year_report_and_reads_gbk(tmp_path: Path) -> None:
    proc = run_cli("inspect", SAMPLES_DIR / "002_6fae348653edd2e7.txt", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["year"] == [2012, 2013, 2014, 2015, 2016]
    assert out["published"] == "2017-02-21"

    gbk = run_cli("inspect", UNSEEN_DIR / "gbk_xuhui_2019.txt", "--json", cwd=tmp_path)
    assert gbk.returncode == 0, gbk.stderr
    out = json.loads(gbk.stdout)
    assert out["region"]["district"] == "徐汇区"
    assert ["三、2020年工作打算", "(四)深化政务公开和“一网通办”"] in [s["path"] for s in out["sections"]]


def test_inspect_of_an_empty_file_prints_the_error_without_a_traceback(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    proc = run_cli("inspect", empty, "--json", cwd=tmp_path)
    assert proc.returncode == 1
    assert "empty.txt" in proc.stderr and "empty" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_ingest_folder_prints_a_summary_line_with_the_report_count(tmp_path: Path) -> None:
    index = tmp_path / "index"
    proc = run_cli(SAMPLES_DIR, "--index", index, "--no-dense", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    assert re.match(r"5 reports, \d+ sections, \d+ chunks \(5 parsed, 0 reused, 0 removed", lines[0])
    gen = read_current(index)
    assert gen is not None and gen in lines[0]
    settings = Settings(_env_file=None, index_dir=index, cache_dir=tmp_path / "cache")  # type: ignore[call-arg]
    data = load_generation(index, settings)
    assert len(data.reports) == 5
    assert f"{len(data.chunks)} chunks" in lines[0]

    again = run_cli(SAMPLES_DIR, "--index", index, "--no-dense", "-q", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stdout and "5 reports" in again.stdout
    assert read_current(index) == gen


def test_ingest_folder_with_a_binary_file_reports_it_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "000.txt").write_bytes((SAMPLES_DIR / "000_31e41020e1499160.txt").read_bytes())
    (folder / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    proc = run_cli(folder, "--index", tmp_path / "index", "--no-dense", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rejected = [line for line in proc.stderr.splitlines() if "rejected" in line]
    assert len(rejected) == 1 and "scan.txt" in rejected[0]
    assert "Traceback" not in proc.stderr
    assert proc.stdout.startswith("1 reports,")
    assert "1 file(s) rejected" in proc.stdout


def test_ingest_of_only_bad_files_exits_with_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    proc = run_cli(folder, "--index", tmp_path / "index", "--no-dense", "-q", cwd=tmp_path)
    assert proc.returncode == 1
    assert "rejected" in proc.stderr and "empty.txt" in proc.stderr


def test_inspect_json_reads_an_html_page(tmp_path: Path) -> None:
    path = tmp_path / "xihu_2023.html"
    path.write_bytes(GBK_PAGE.encode("gbk"))
    proc = run_cli("inspect", path, "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["title"] == TITLE
    assert out["issuer"] == "杭州市西湖区人力资源和社会保障局"
    assert out["year"] == 2023 and out["published"] == "2024-02-20"
    text = load_report(path).text
    sections = {tuple(s["path"]): text[s["start"] : s["end"]] for s in out["sections"]}
    assert sections[("二、存在的不足",)].startswith("二、存在的不足\n" + SHORTFALL)
