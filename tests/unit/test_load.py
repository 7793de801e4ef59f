"""ingest.load: decoding (UTF-8, BOM, GBK), rejection of unusable files with a named error, file discovery."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import SAMPLES_DIR, UNSEEN_DIR

from bot.errors import IngestError
from ingest.chunk import chunk_report
from ingest.load import decode_bytes, find_report_files, load_report
from ingest.parse import parse_text

GBK_REPORT = (
    "上海市某某区人力资源和社会保障局2021年依法行政工作报告\n"
    "一、主要工作\n"
    "（一）加强组织领导\n"
    "我局坚持依法行政，全年办理行政复议案件3件，劳动保障监察案件120件。\n"
    "二、存在的问题\n"
    "执法力量仍显薄弱。\n"
)


def test_utf8_sample_is_read_as_utf8_with_its_content_hash() -> None:
    raw = load_report(SAMPLES_DIR / "001_db59ff4b70f4e062.txt")
    data = (SAMPLES_DIR / "001_db59ff4b70f4e062.txt").read_bytes()
    assert raw.encoding == "utf-8"
    assert raw.text == data.decode("utf-8")
    assert raw.source == "001_db59ff4b70f4e062.txt"
    assert raw.content_hash == hashlib.sha256(data).hexdigest()


def test_gbk_fixture_is_decoded() -> None:
    path = UNSEEN_DIR / "gbk_xuhui_2019.txt"
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the fixture really is not UTF-8
    raw = load_report(path)
    assert raw.encoding in ("gb18030", "gbk", "gb2312")
    assert raw.text == data.decode("gbk")
    assert "徐汇区人力资源和社会保障局" in raw.text


def test_gbk_report_written_in_tmp_is_decoded_and_parsed(tmp_path: Path) -> None:
    path = tmp_path / "gbk_report.txt"
    path.write_bytes(GBK_REPORT.encode("gbk"))
    raw = load_report(path)
    assert raw.text == GBK_REPORT
    report = parse_text(raw)
    assert [s.path for s in report.sections if s.path] == [
        ["一、主要工作"],
        ["一、主要工作", "（一）加强组织领导"],
        ["二、存在的问题"],
    ]
    for c in chunk_report(report, 60):
        assert raw.text[c.start : c.end] == c.quote


def test_utf8_bom_is_removed_and_offsets_refer_to_text_without_it(tmp_path: Path) -> None:
    original = (SAMPLES_DIR / "001_db59ff4b70f4e062.txt").read_bytes()
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + original)
    raw = load_report(path)
    assert raw.encoding == "utf-8-sig"
    assert not raw.text.startswith("\ufeff")
    assert raw.text == original.decode("utf-8")

    with_bom = parse_text(raw)
    without_bom = parse_text(load_report(SAMPLES_DIR / "001_db59ff4b70f4e062.txt"))
    assert with_bom.section_dicts() == without_bom.section_dicts()
    for c in chunk_report(with_bom, 300):
        assert raw.text[c.start : c.end] == c.quote
        assert "\ufeff" not in c.quote


def test_empty_file_is_rejected_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "empty_report.txt"
    path.write_bytes(b"")
    with pytest.raises(IngestError, match=r"empty_report\.txt") as info:
        load_report(path)
    assert "empty" in str(info.value)


def test_whitespace_only_file_is_rejected_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes(b" \r\n\t\n   \n")
    with pytest.raises(IngestError, match=r"blank\.txt.*empty"):
        load_report(path)


def test_file_with_only_a_bom_and_blank_lines_is_rejected_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "bom_only.txt"
    path.write_bytes(b"\xef\xbb\xbf\r\n\r\n")
    with pytest.raises(IngestError, match=r"bom_only\.txt") as info:
        load_report(path)
    assert "empty" in str(info.value)


def test_binary_file_with_nul_bytes_is_rejected_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "scan.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(IngestError, match=r"scan\.txt") as info:
        load_report(path)
    assert "binary" in str(info.value)


def test_binary_bytes_without_nul_are_rejected_not_decoded_as_garbage() -> None:
    # JPEG-like high bytes with no NUL: no encoding turns them into a plausible text.
    data = b"\xff\xd8\xff\xe0" + bytes((i * 97 + 131) % 127 + 129 for i in range(3000))
    with pytest.raises(IngestError, match=r"photo\.txt"):
        decode_bytes(data, "photo.txt")


def test_unsupported_file_type_is_rejected_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "report.doc"  # the old binary Word format: only .docx is read
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    with pytest.raises(IngestError, match=r"report\.doc.*unsupported"):
        load_report(path)


def test_source_is_relative_to_the_reports_root(tmp_path: Path) -> None:
    sub = tmp_path / "2020"
    sub.mkdir()
    (sub / "a.txt").write_text("一、标题\n内容。\n", encoding="utf-8")
    raw = load_report(sub / "a.txt", root=tmp_path)
    assert raw.source == "2020/a.txt"


def test_find_report_files_lists_reports_sorted_and_skips_others(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("乙", encoding="utf-8")
    (tmp_path / "a.md").write_text("甲", encoding="utf-8")
    (tmp_path / "README.md").write_text("说明", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("隐藏", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("丙", encoding="utf-8")
    files, root = find_report_files([tmp_path])
    assert root == tmp_path
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.md", "b.txt", "sub/c.txt"]


def test_find_report_files_names_a_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(IngestError, match="nowhere"):
        find_report_files([missing])
