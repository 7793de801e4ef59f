"""HTML pages, Word files and PDFs: each is generated here, converted, ingested alone and asked about.

The converted text is the report's text: every citation must slice it, sit in the right section (headings
kept), hold the asked number, and, for a PDF, name the page the number is printed on. Page chrome must not
reach any chunk.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.embed import HashEmbedder
from bot.errors import IngestError
from bot.pipeline import ReportQA
from bot.settings import Settings
from bot.store import IndexData, IndexHandle
from bot.types import Answer
from ingest.index import ingest
from ingest.load import find_report_files, load_report
from ingest.parse import parse_text

TITLE = "杭州市西湖区人力资源和社会保障局2023年度法治政府建设情况报告"
OPENING = "2023年，杭州市西湖区人力资源和社会保障局坚持以习近平法治思想为指导，全面推进依法行政，现将有关情况报告如下。"
INSPECTION = "全年共检查用人单位1860户次，立案查处劳动保障违法案件215件，为1937名劳动者追发工资等待遇2386万元。"
REVIEW = "全年办理行政复议案件17件，行政应诉案件9件，行政机关负责人出庭应诉9次，出庭率100%。"
SHORTFALL = "基层执法力量仍显薄弱，执法信息化水平有待提升。"
QUESTION = "西湖区人社局2023年办理了多少件行政复议案件？"

# Page chrome of a typical district government site: none of it may reach a chunk.
CHROME = ["首页", "政务公开", "办事服务", "您当前的位置", "分享到", "打印本页", "关闭窗口", "版权所有", "ICP备",
          "网站标识码", "相关文章", "统计代码", "扫一扫", "字号", "浏览次数"]  # fmt: skip

GBK_PAGE = f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{TITLE}_杭州市西湖区人民政府</title>
<script>var _hmt = _hmt || []; document.write("统计代码");</script>
<style>.nav {{ color: #c00 }}</style>
</head><body>
<div class="header"><div class="logo"><a href="/"><h1>杭州市西湖区人民政府</h1></a></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li><li><a>办事服务</a></li></ul></div>
<div class="main">
<div class="breadcrumb">您当前的位置：<a href="/">首页</a> &gt; <a>政务公开</a> &gt; <a>法治政府建设</a></div>
<div class="article">
<h1 class="title">{TITLE}</h1>
<div class="info">发布日期：2024-02-20&nbsp;&nbsp;来源：西湖区人社局&nbsp;&nbsp;浏览次数：<span>1024</span>
<span class="fontsize">【字号：<a>大</a> <a>中</a> <a>小</a>】</span></div>
<div class="TRS_Editor" id="zoom">
<p>　　2023年，杭州市西湖区人力资源和社会保障局坚持以习近平法治思想为指导，
全面推进依法行政，现将有关情况报告如下。</p>
<p><strong>一、主要举措和成效</strong></p>
<p><strong>（一）加强劳动保障监察执法</strong></p>
<p>　　{INSPECTION}</p>
<p><strong>（二）规范行政复议和应诉</strong></p>
<p>　　{REVIEW}</p>
<p><strong>二、存在的不足</strong></p>
<p>　　{SHORTFALL}<br>下一步，我局将持续加强执法队伍建设。</p>
</div>
<div class="share">分享到：<a>微信</a><a>微博</a></div>
<div class="print">【<a>打印本页</a>】【<a>关闭窗口</a>】</div>
</div>
<div class="related"><h3>相关文章</h3><ul><li><a>西湖区人社局2022年度法治政府建设情况报告</a></li></ul></div>
</div>
<div class="footer"><p>主办单位：杭州市西湖区人民政府办公室　版权所有　浙ICP备12345678号</p>
<p>网站标识码：3301060001</p></div>
<script>console.log("扫一扫在手机打开当前页")</script>
</body></html>"""

UTF8_PAGE = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{TITLE} - 西湖区人民政府门户网站</title></head>
<body>
<header><a href="/">杭州市西湖区人民政府</a><nav><a>首页</a> <a>政务公开</a> <a>办事服务</a></nav></header>
<main>
<div class="crumbs">您当前的位置：首页 &gt; 政务公开</div>
<article>
<h1>{TITLE}</h1>
<p>{OPENING}</p>
<h2>一、主要举措和成效</h2>
<h3>（一）加强劳动保障监察执法</h3>
<p>{INSPECTION}</p>
<h3>（二）规范行政复议和应诉</h3>
<p>{REVIEW.replace("&", "&amp;")}</p>
<h2>二、存在的不足</h2>
<p>{SHORTFALL}</p>
<div class="bdshare">分享到：微信 微博</div>
</article>
</main>
<footer>版权所有 &copy; 杭州市西湖区人民政府 浙ICP备12345678号 网站标识码：3301060001</footer>
</body></html>"""


def _ask(folder: Path, tmp_path: Path, question: str = QUESTION) -> tuple[Answer, IndexData]:
    """Ingest `folder` (and nothing else) into a fresh index and ask `question`."""
    settings = Settings(_env_file=None, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")  # type: ignore[call-arg]
    summary = ingest([folder], settings, HashEmbedder())
    assert summary.errors == [] and summary.reports == 1
    handle = IndexHandle(settings.index_dir, settings)
    return ReportQA(handle, HashEmbedder()).ask(question), handle.get()


def _assert_cited(answer: Answer, data: IndexData, number: str, section: list[str]) -> int:
    """The answer holds `number`, and a citation quoting it slices the stored text in `section`.

    Returns that citation's index in `answer.citations`.
    """
    assert answer.answerable, answer
    assert number in answer.answer, answer.answer
    for i, c in enumerate(answer.citations):
        text = data.reports[c.report_id].text
        assert text[c.start : c.end] == c.quote
        if number in c.quote:
            assert c.section == section, c
            return i
    raise AssertionError(f"no citation quotes {number}: {answer.citations}")


def _assert_no_chrome(data: IndexData) -> None:
    for chunk in data.chunks:
        for marker in CHROME:
            assert marker not in chunk.text and marker not in chunk.header, (marker, chunk.text)


def _folder(tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / name).write_bytes(data)
    return folder


# --- HTML -------------------------------------------------------------------------------------------


def test_gbk_government_page_keeps_the_article_and_drops_the_chrome(tmp_path: Path) -> None:
    path = tmp_path / "xihu_2023.html"
    path.write_bytes(GBK_PAGE.encode("gbk"))
    raw = load_report(path)
    assert raw.encoding == "gb18030"
    assert raw.text.splitlines() == [
        f"# {TITLE}",
        "发布日期：2024-02-20",
        OPENING,
        "一、主要举措和成效",
        "（一）加强劳动保障监察执法",
        INSPECTION,
        "（二）规范行政复议和应诉",
        REVIEW,
        "二、存在的不足",
        SHORTFALL,
        "下一步，我局将持续加强执法队伍建设。",
    ]
    report = parse_text(raw)
    assert report.meta.title == TITLE
    assert report.meta.region.district == "西湖区" and report.meta.years == [2023]
    assert report.meta.published == "2024-02-20"
    assert report.meta.page_starts is None


def test_gbk_government_page_is_answered_with_a_citation_into_its_extracted_text(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "xihu_2023.html", GBK_PAGE.encode("gbk"))
    answer, data = _ask(folder, tmp_path)
    i = _assert_cited(answer, data, "17件", ["一、主要举措和成效", "（二）规范行政复议和应诉"])
    assert answer.citations[i].page is None
    _assert_no_chrome(data)


def test_utf8_page_with_html5_landmarks_is_answered_under_its_heading_tags(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "xihu_2023.htm", UTF8_PAGE.encode("utf-8"))
    raw = load_report(folder / "xihu_2023.htm")
    assert raw.text.splitlines()[:4] == [f"# {TITLE}", OPENING, "一、主要举措和成效", "（一）加强劳动保障监察执法"]
    answer, data = _ask(folder, tmp_path, "西湖区人社局2023年检查了多少户次用人单位？")
    _assert_cited(answer, data, "1860", ["一、主要举措和成效", "（一）加强劳动保障监察执法"])
    _assert_no_chrome(data)


LAYOUT_PAGE = f"""<html><head><title>西湖区人社局2023年工作报告_西湖区人民政府</title></head><body>
<table><tr><td class="left"><a>首页</a><br><a>政务公开</a><br><a>办事服务</a></td>
<td><p>一、主要工作</p><p>{REVIEW}</p><p>二、下一步打算</p><p>{SHORTFALL}</p>
<table border="1"><tr><td>项目</td><td>2023年</td></tr><tr><td>行政应诉</td><td>9件</td></tr></table>
</td></tr></table></body></html>"""


def test_table_layout_page_keeps_its_paragraphs_and_a_closing_data_table_stays_in_its_section(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old_site.html"
    path.write_text(LAYOUT_PAGE, encoding="utf-8")
    raw = load_report(path)
    assert raw.text.splitlines() == [
        "# 西湖区人社局2023年工作报告",
        "一、主要工作",
        REVIEW,
        "二、下一步打算",
        SHORTFALL,
        "项目｜2023年",
        "行政应诉｜9件",
    ]
    last = next(s for s in parse_text(raw).section_dicts() if s["path"] == ["二、下一步打算"])
    assert raw.text[last["start"] : last["end"]].endswith("行政应诉｜9件")  # table rows are no signature


# --- Word -------------------------------------------------------------------------------------------


def _write_docx(path: Path) -> None:
    """A report as staff write it in Word: Title and Heading styles, Word's own list numbering, a table."""
    import docx

    doc = docx.Document()
    doc.sections[0].header.paragraphs[0].text = "西湖区人社局内部资料"  # a page header: not report text
    doc.add_paragraph(TITLE, style="Title")
    doc.add_paragraph(OPENING)
    doc.add_heading("一、主要举措和成效", level=1)
    doc.add_heading("（一）加强劳动保障监察执法", level=2)
    doc.add_paragraph(INSPECTION)
    doc.add_heading("（二）规范行政复议和应诉", level=2)
    # Numbered by Word ("List Number" style): the "1." is not in the paragraph's text.
    doc.add_paragraph("办理行政复议案件。" + REVIEW, style="List Number")
    doc.add_paragraph("开展执法案卷评查。全年评查行政处罚案卷56卷，优良率96%。", style="List Number")
    table = doc.add_table(rows=2, cols=3)
    for cell, value in zip(table.rows[0].cells, ["项目", "2022年", "2023年"], strict=True):
        cell.text = value
    for cell, value in zip(table.rows[1].cells, ["行政复议案件", "12件", "17件"], strict=True):
        cell.text = value
    doc.add_heading("工作展望", level=1)  # a heading with no official numbering
    doc.add_paragraph(SHORTFALL)
    doc.save(str(path))


def test_docx_headings_numbering_and_tables_become_lines(tmp_path: Path) -> None:
    path = tmp_path / "xihu_2023.docx"
    _write_docx(path)
    raw = load_report(path)
    assert raw.encoding == "docx"
    assert raw.text.splitlines() == [
        f"# {TITLE}",
        OPENING,
        "一、主要举措和成效",
        "（一）加强劳动保障监察执法",
        INSPECTION,
        "（二）规范行政复议和应诉",
        "1.办理行政复议案件。" + REVIEW,
        "2.开展执法案卷评查。全年评查行政处罚案卷56卷，优良率96%。",
        "项目｜2022年｜2023年",
        "行政复议案件｜12件｜17件",
        "# 工作展望",
        SHORTFALL,
    ]
    report = parse_text(raw)
    assert report.meta.title == TITLE
    assert [s.path for s in report.sections if s.path] == [
        ["一、主要举措和成效"],
        ["一、主要举措和成效", "（一）加强劳动保障监察执法"],
        ["一、主要举措和成效", "（二）规范行政复议和应诉"],
        ["一、主要举措和成效", "（二）规范行政复议和应诉", "1.办理行政复议案件"],
        ["一、主要举措和成效", "（二）规范行政复议和应诉", "2.开展执法案卷评查"],
        ["工作展望"],
    ]


def test_docx_multilevel_chinese_numbering_of_word_is_written_out(tmp_path: Path) -> None:
    """Word numbers headings itself (一、 （一） 1.); python-docx cannot write that, so the XML is added here."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    doc = docx.Document()
    numbering = doc.part.numbering_part.element
    levels = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{shown}"/></w:lvl>'
        for i, (fmt, shown) in enumerate(
            [("chineseCounting", "%1、"), ("chineseCounting", "（%2）"), ("decimal", "%3.")]
        )
    )
    numbering.find(qn("w:num")).addprevious(  # abstract definitions come before the w:num instances
        parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">{levels}</w:abstractNum>')
    )
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def numbered(text: str, level: int, style: str | None = None) -> None:
        p = doc.add_paragraph(text, style=style)
        p._p.get_or_add_pPr().append(
            parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>')
        )

    numbered("主要举措和成效", 0, "Heading 1")
    numbered("加强劳动保障监察执法", 1, "Heading 2")
    numbered("开展专项检查。" + INSPECTION, 2)
    numbered("规范行政复议和应诉", 1, "Heading 2")
    numbered("依法办理复议案件。" + REVIEW, 2)
    for k in range(9):
        numbered(f"第{k + 3}项工作", 1)
    numbered("存在的不足", 0, "Heading 1")
    path = tmp_path / "numbered.docx"
    doc.save(str(path))
    lines = load_report(path).text.splitlines()
    assert lines[:5] == [
        "一、主要举措和成效",
        "（一）加强劳动保障监察执法",
        "1.开展专项检查。" + INSPECTION,
        "（二）规范行政复议和应诉",
        "1.依法办理复议案件。" + REVIEW,  # a new （二） restarts the level below
    ]
    assert lines[-2:] == ["（十一）第11项工作", "二、存在的不足"]


def test_docx_report_is_answered_with_a_citation_under_its_heading_styles(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    _write_docx(folder / "xihu_2023.docx")
    answer, data = _ask(folder, tmp_path, "西湖区人社局2023年评查了多少卷行政处罚案卷？")
    _assert_cited(answer, data, "56卷", ["一、主要举措和成效", "（二）规范行政复议和应诉", "2.开展执法案卷评查"])
    assert all("内部资料" not in c.text for c in data.chunks)


# --- PDF --------------------------------------------------------------------------------------------

# Long paragraphs, so that lines wrap and the one before （二） runs across the break onto page 2.
PDF_PARAGRAPHS: list[tuple[str, str]] = [
    ("title", TITLE),
    ("body", OPENING),
    ("heading", "一、主要举措和成效"),
    ("heading", "（一）加强劳动保障监察执法"),
    ("body", INSPECTION + "深入开展根治欠薪专项行动，对建筑、制造、餐饮等重点行业开展拉网式排查，"
     "对发现的问题逐一建立台账、限期整改，确保问题清仓见底。"),
    ("body", "推进“双随机、一公开”监管，随机抽取检查对象和执法检查人员，检查结果及时向社会公开，"
     "将守法诚信、违法失信情况纳入社会信用体系，对重大劳动保障违法行为依法向社会公布。" * 2),
    ("body", "健全劳动保障监察网格化、网络化管理，街道（镇）劳动保障监察网格实现全覆盖，"
     "网格员定期走访辖区用人单位，宣传劳动保障法律法规，及时发现和化解劳动关系矛盾隐患。" * 3),
    ("body", "加强执法人员培训，全年组织执法人员参加法律知识培训和执法技能比武，"
     "持证上岗率达到百分之百，执法人员依法履职能力不断提升，执法行为更加规范。" * 6),
    ("heading", "（二）规范行政复议和应诉"),
    ("body", REVIEW + "严格落实行政机关负责人出庭应诉制度，案件办理质量稳步提升。"),
    ("heading", "二、存在的不足"),
    ("body", SHORTFALL),
]  # fmt: skip


def _write_pdf(path: Path, paragraphs: list[tuple[str, str]], *, page_break_before: str | None = None) -> None:
    """A Chinese PDF with a text layer (reportlab's built-in STSong-Light CID font, no font file needed),
    page numbers in the footer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font = "STSong-Light"
    styles = {
        "title": ParagraphStyle("title", fontName=font, fontSize=15, leading=24, alignment=1),
        "heading": ParagraphStyle("heading", fontName=font, fontSize=13, leading=22),
        "body": ParagraphStyle("body", fontName=font, fontSize=12, leading=20, wordWrap="CJK", firstLineIndent=24),
    }

    def footer(canvas: object, doc: object) -> None:
        canvas.setFont(font, 9)  # type: ignore[attr-defined]
        canvas.drawCentredString(A4[0] / 2, 30, f"- {doc.page} -")  # type: ignore[attr-defined]

    story: list[object] = []
    for kind, text in paragraphs:
        if text == page_break_before:
            story.append(PageBreak())
        story.append(Paragraph(text, styles[kind]))
    SimpleDocTemplate(str(path), pagesize=A4).build(story, onFirstPage=footer, onLaterPages=footer)


def test_pdf_text_layer_is_joined_into_paragraphs_with_page_starts(tmp_path: Path) -> None:
    path = tmp_path / "xihu_2023.pdf"
    _write_pdf(path, PDF_PARAGRAPHS)
    from pypdf import PdfReader

    pages = [p.extract_text() for p in PdfReader(str(path)).pages]
    assert len(pages) == 2 and "行政复议案件17件" in pages[1]  # the asked fact is printed on page 2
    assert TITLE not in pages[0]  # the title wraps
    raw = load_report(path)
    assert raw.encoding == "pdf"
    # Every paragraph on one line: the title, wrapped lines and the paragraph split by the page break
    # joined back, page numbers gone.
    assert raw.text.splitlines() == [text for _, text in PDF_PARAGRAPHS]
    assert raw.page_starts is not None and len(raw.page_starts) == 2 and raw.page_starts[0] == 0
    page_two = raw.page_starts[1]
    assert raw.text[page_two - 1] != "\n"  # page 2 begins inside the paragraph that crosses the break
    assert pages[1].split("\n")[1].strip().startswith(raw.text[page_two : page_two + 8])
    report = parse_text(raw)
    assert report.meta.page_starts == list(raw.page_starts)
    assert report.meta.title == TITLE


def test_pdf_page_that_starts_with_a_heading_starts_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "xihu_2023.pdf"
    _write_pdf(path, PDF_PARAGRAPHS, page_break_before="二、存在的不足")
    raw = load_report(path)
    assert raw.text.splitlines() == [text for _, text in PDF_PARAGRAPHS]
    assert raw.page_starts is not None and len(raw.page_starts) == 3
    assert raw.text[raw.page_starts[2] - 1 :].startswith("\n二、存在的不足\n")


def test_pdf_report_is_answered_with_the_page_of_its_citation(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    _write_pdf(folder / "xihu_2023.pdf", PDF_PARAGRAPHS)
    answer, data = _ask(folder, tmp_path)
    i = _assert_cited(answer, data, "17件", ["一、主要举措和成效", "（二）规范行政复议和应诉"])
    assert answer.citations[i].page == 2
    assert all(not re.search(r"- \d+ -", c.text) for c in data.chunks)


# --- rejected files ---------------------------------------------------------------------------------


def test_scanned_pdf_without_a_text_layer_is_rejected_as_needing_ocr(tmp_path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    path = tmp_path / "scan_2023.pdf"
    canvas = Canvas(str(path), pagesize=A4)
    for _ in range(2):  # what a scanner makes: pages of pictures, no text
        canvas.rect(72, 72, 400, 600, fill=1)
        canvas.showPage()
    canvas.save()
    with pytest.raises(IngestError, match=r"scan_2023\.pdf.*OCR"):
        load_report(path)


@pytest.mark.parametrize("name", ["report.docx", "report.pdf"])
def test_junk_bytes_with_a_document_suffix_are_rejected_naming_the_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04" + bytes((i * 37 + 11) % 256 for i in range(4000)))
    with pytest.raises(IngestError, match=re.escape(name) + r": not a readable"):
        load_report(path)


def test_folder_ingest_keeps_the_good_documents_and_names_the_broken_one(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    _write_docx(folder / "xihu_2023.docx")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n% truncated download\n")
    (folder / "slides.pptx").write_bytes(b"PK\x03\x04")
    files, _ = find_report_files([folder])
    assert [f.name for f in files] == ["broken.pdf", "xihu_2023.docx"]
    settings = Settings(_env_file=None, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")  # type: ignore[call-arg]
    summary = ingest([folder], settings, HashEmbedder())
    assert summary.reports == 1
    assert len(summary.errors) == 1 and summary.errors[0].startswith("broken.pdf: not a readable PDF")
