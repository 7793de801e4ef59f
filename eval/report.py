"""report.html: one self-contained page (inline CSS, no scripts, no external resources) for people.

Every piece of text from the gold file, the reports or the bot goes through `html.escape` (directly or via
`highlight`) before it reaches the page: answers and quotes are data, never markup.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from typing import Any

from eval.compare import Comparison
from eval.gate import check
from eval.judge import judge_section
from eval.metrics import LOWER_IS_BETTER, METRICS
from eval.records import BotRecord, GoldItem, ItemScore
from eval.runner import EvalRun
from eval.table import fmt

TYPE_LABELS = {
    "numeric": "数值",
    "fact": "事实",
    "list": "列举",
    "paraphrase": "改写",
    "cross": "跨报告",
    "unanswerable": "不可回答",
    "followup": "追问",
}

METRIC_LABELS = {
    "pass_rate": "通过率",
    "key_fact_accuracy": "关键事实",
    "conciseness": "简洁",
    "citation_accuracy": "引用准确",
    "citation_precision": "引用精确率",
    "refusal_accuracy": "拒答准确",
    "false_refusal_rate": "误拒率",
    "recall_at_k": "召回@k",
    "mrr": "MRR",
    "token_f1": "词F1",
    "latency_p50_ms": "延迟 p50",
    "latency_p95_ms": "延迟 p95",
}

BAR_METRICS = (
    "pass_rate",
    "key_fact_accuracy",
    "citation_accuracy",
    "conciseness",
    "refusal_accuracy",
    "false_refusal_rate",
    "recall_at_k",
    "token_f1",
)

_CSS = """
:root { --ok: #1a7f37; --bad: #c62828; --muted: #667085; --line: #e4e7ec; --bg: #f8f9fb; --bar: #3b6fd8; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 64px; background: var(--bg); color: #1d2939; line-height: 1.6;
  font: 14px/1.6 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
  "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 32px 0 12px; }
.meta { color: var(--muted); font-size: 13px; }
.gate { display: inline-block; margin-top: 10px; padding: 4px 12px; border-radius: 6px; font-weight: 600; }
.gate.ok { background: #dcfce7; color: var(--ok); } .gate.bad { background: #fde2e2; color: var(--bad); }
.gate-list { margin: 6px 0 0; color: var(--bad); font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .k { color: var(--muted); font-size: 12px; } .card .v { font-size: 22px; font-weight: 600; }
.card .t { font-size: 12px; } .card.bad { border-color: var(--bad); } .card.bad .t { color: var(--bad); }
.card.ok .t { color: var(--ok); }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f2f4f7; font-weight: 600; font-size: 13px; white-space: nowrap; }
.bars td { min-width: 110px; } .bars td.lbl { min-width: 0; white-space: nowrap; }
.bar { position: relative; height: 16px; background: #eef1f6; border-radius: 3px; overflow: hidden; }
.bar > span { position: absolute; left: 0; top: 0; bottom: 0; background: var(--bar); }
.bar.inv > span { background: #e07b39; }
.num { font-variant-numeric: tabular-nums; font-size: 12px; color: #344054; }
.na { color: #98a2b3; }
.items td { font-size: 13px; } .items td.ans { min-width: 260px; } .items td.cit { min-width: 320px; }
.items tr.fail td:first-child { border-left: 4px solid var(--bad); }
.items tr.pass td:first-child { border-left: 4px solid var(--ok); }
.id { font-family: ui-monospace, Menlo, Consolas, monospace; white-space: nowrap; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.badge.pass { background: #dcfce7; color: var(--ok); } .badge.fail { background: #fde2e2; color: var(--bad); }
.badge.refused { background: #eef1f6; color: #475467; }
.reason { color: var(--bad); font-size: 12px; margin-top: 4px; }
.cite { border-left: 3px solid var(--line); padding: 2px 0 2px 8px; margin-bottom: 6px; }
.cite.hit { border-left-color: var(--ok); } .cite.miss { border-left-color: var(--bad); }
.cite .src { color: var(--muted); font-size: 12px; } .cite q { quotes: "「" "」"; }
mark { background: #ffe58f; padding: 0 1px; border-radius: 2px; }
details { margin-top: 4px; color: #475467; }
summary { cursor: pointer; color: var(--muted); font-size: 12px; }
.facts span { margin-right: 8px; } .facts .ok { color: var(--ok); } .facts .bad { color: var(--bad); }
.fails a { font-family: ui-monospace, Menlo, Consolas, monospace; margin-right: 6px; color: var(--bad); }
.up { color: var(--ok); } .down { color: var(--bad); }
table.deltas { width: auto; } .deltas td { min-width: 90px; }
.items td.q { min-width: 150px; }
"""


def e(value: object) -> str:
    """HTML-escape anything (quotes included, so the result is safe in attributes too)."""
    return html.escape(str(value), quote=True)


def _normalised_with_map(text: str) -> tuple[str, list[int]]:
    """`metrics.normalize` applied character by character, with each output char's source index."""
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).lower():
            if not c.isspace():
                chars.append(c)
                index.append(i)
    return "".join(chars), index


def highlight(text: str, needles: Sequence[str]) -> str:
    """`text` escaped, with every normalised occurrence of each needle wrapped in <mark>."""
    norm, index = _normalised_with_map(text)
    spans: list[tuple[int, int]] = []
    for needle in needles:
        target, _ = _normalised_with_map(needle)
        if not target:
            continue
        pos = norm.find(target)
        while pos >= 0:
            spans.append((index[pos], index[pos + len(target) - 1] + 1))
            pos = norm.find(target, pos + 1)
    merged: list[list[int]] = []
    for s, t in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], t)
        else:
            merged.append([s, t])
    out, last = [], 0
    for s, t in merged:
        out.append(e(text[last:s]) + "<mark>" + e(text[s:t]) + "</mark>")
        last = t
    out.append(e(text[last:]))
    return "".join(out)


def _value(metric: str, value: Any) -> str:
    return f'<span class="na">{e(fmt(metric, value))}</span>' if value is None else e(fmt(metric, value))


def _bar(metric: str, value: float | None) -> str:
    if value is None:
        return '<span class="na">—</span>'
    inv = " inv" if metric in LOWER_IS_BETTER else ""
    width = max(0.0, min(1.0, value)) * 100
    return (
        f'<div class="bar{inv}" title="{e(metric)} {value:.3f}">'
        f'<span style="width:{width:.1f}%"></span></div>'
        f'<span class="num">{value:.3f}</span>'
    )


def _label(metric: str, k: int) -> str:
    return METRIC_LABELS.get(metric, metric).replace("@k", f"@{k}")


def _header(run: EvalRun, thresholds: dict[str, float] | None) -> str:
    info = run.info
    parts = [
        "<h1>ReportQA 评测报告</h1>",
        '<div class="meta">'
        + " · ".join(
            e(x)
            for x in (
                f"{info.get('started_at', '')}",
                f"gold: {info.get('gold', '')}",
                f"{info.get('n_items', len(run.items))} 题",
                f"k = {info.get('k', '')}",
                f"index: {info.get('index_dir', '')}",
                f"mode: {info.get('mode', '')}",
                f"{info.get('seconds', '')} s",
            )
        )
        + "</div>",
    ]
    bad = info.get("invalid_citations") or []
    if bad:
        parts.append(f'<div class="gate bad">{len(bad)} 条引用的偏移与原文不符 (text[start:end] != quote)</div>')
        parts.append('<ul class="gate-list">' + "".join(f"<li>{e(b)}</li>" for b in bad) + "</ul>")
    if thresholds:
        failures = check(run.overall, thresholds)
        if failures:
            parts.append(f'<div class="gate bad">门槛未达到 ({len(failures)})</div>')
            parts.append('<ul class="gate-list">' + "".join(f"<li>{e(f)}</li>" for f in failures) + "</ul>")
        else:
            parts.append('<div class="gate ok">全部门槛已达到 (thresholds met)</div>')
    return "\n".join(parts)


def _cards(run: EvalRun, thresholds: dict[str, float] | None) -> str:
    k = run.info.get("k", "k")
    out = ['<h2>总体 Totals</h2><div class="cards">']
    for m in METRICS:
        value = run.overall.get(m)
        cls, note = "", ""
        for key in (m, f"max_{m}"):
            if thresholds and key in thresholds:
                limit = thresholds[key]
                met = not check({m: value}, {key: limit})
                cls = " ok" if met else " bad"
                note = f"{'≤' if key.startswith('max_') else '≥'} {limit:g}"
        out.append(
            f'<div class="card{cls}"><div class="k">{e(_label(m, k))} <span class="na">{e(m)}</span></div>'
            f'<div class="v">{_value(m, value)}</div><div class="t">{e(note)}</div></div>'
        )
    o = run.overall
    out.append("</div>")
    out.append(
        f'<p class="meta">{o["n"]} items: {o["n_answerable"]} answerable, '
        f"{o['n_unanswerable']} unanswerable. Definitions: eval/metrics.py.</p>"
    )
    return "\n".join(out)


def _type_bars(run: EvalRun) -> str:
    k = run.info.get("k", "k")
    head = "".join(f"<th>{e(_label(m, k))}</th>" for m in BAR_METRICS)
    rows = []
    groups = [*run.by_type.items(), ("overall", run.overall)]
    for t, agg in groups:
        label = f"{TYPE_LABELS.get(t, '总体')} <span class='na'>{e(t)}</span> ({agg['n']})"
        cells = "".join(f"<td>{_bar(m, agg.get(m))}</td>" for m in BAR_METRICS)
        rows.append(f'<tr><td class="lbl">{label}</td>{cells}</tr>')
    return '<h2>按题型 By type</h2><table class="bars"><tr><th>题型</th>' + head + "</tr>" + "".join(rows) + "</table>"


def _compare(cmp: Comparison) -> str:
    def id_list(pairs: list[tuple[str, str]]) -> str:
        if not pairs:
            return '<p class="na">无 (none)</p>'
        return (
            "<ul>"
            + "".join(f'<li><a class="id" href="#item-{e(i)}">{e(i)}</a> {e(r)}</li>' for i, r in pairs)
            + "</ul>"
        )

    rows = []
    for d in cmp.deltas:
        delta = d.delta
        cls = ""
        if delta:
            better = (delta < 0) if d.metric in LOWER_IS_BETTER else (delta > 0)
            cls = "up" if better else "down"
        shown = "—" if delta is None else f"{delta:+.3f}"
        rows.append(
            f"<tr><td>{e(d.metric)}</td><td>{_value(d.metric, d.before)}</td>"
            f"<td>{_value(d.metric, d.after)}</td>"
            f'<td class="{cls}">{e(shown)}</td></tr>'
        )
    extra = ""
    if cmp.added or cmp.removed:
        added, removed = ", ".join(cmp.added) or "—", ", ".join(cmp.removed) or "—"
        extra = f"<p class='meta'>new items: {e(added)}; gone: {e(removed)}</p>"
    return (
        f"<h2>与上次比较 Compared with {e(cmp.previous)}</h2>"
        f"<h3>通过 → 失败 (pass → fail): {len(cmp.now_failing)}</h3>{id_list(cmp.now_failing)}"
        f"<h3>失败 → 通过 (fail → pass): {len(cmp.now_passing)}</h3>{id_list(cmp.now_passing)}"
        f"{extra}<table class='deltas'><tr><th>metric</th><th>before</th><th>after</th><th>Δ</th></tr>"
        f"{''.join(rows)}</table>"
    )


def _failures_index(scores: Sequence[ItemScore]) -> str:
    failed = [s.id for s in scores if not s.passed]
    links = "".join(f'<a href="#item-{e(i)}">{e(i)}</a>' for i in failed)
    return f'<h2>未通过 Failed ({len(failed)}/{len(scores)})</h2><p class="fails">{links or "—"}</p>'


def _question_cell(item: GoldItem) -> str:
    out = e(item.question)
    if item.history:
        turns = "".join(
            f"<li><b>{'用户' if role == 'user' else '助手'}</b>：{e(content)}</li>" for role, content in item.history
        )
        out += f"<details><summary>对话历史 ({len(item.history)})</summary><ol>{turns}</ol></details>"
    return out


def _answer_cell(item: GoldItem, rec: BotRecord, score: ItemScore) -> str:
    out = highlight(rec.answer, item.must_include) if rec.answer else '<span class="na">（空）</span>'
    if score.refused:
        out += ' <span class="badge refused">拒答</span>'
    if item.must_include:
        missing = set(score.missing_facts or [])
        facts = "".join(
            f'<span class="{"bad" if m in missing else "ok"}">{"✗" if m in missing else "✓"} {e(m)}</span>'
            for m in item.must_include
        )
        out += f'<div class="facts">{facts}</div>'
    out += f"<details><summary>参考答案</summary>{highlight(item.answer, item.must_include)}</details>"
    return out


def _citations_cell(item: GoldItem, rec: BotRecord, score: ItemScore) -> str:
    parts = []
    for i, c in enumerate(rec.citations):
        hit = score.citation_hits[i] if i < len(score.citation_hits) else None
        cls = "" if hit is None else (" hit" if hit else " miss")
        mark = "" if hit is None else ("✓ " if hit else "✗ ")
        section = " › ".join(c.get("section") or []) or "（正文）"
        parts.append(
            f'<div class="cite{cls}"><div class="src">{e(mark)}{e(c["source"])} '
            f"[{e(c['start'])}:{e(c['end'])}] · {e(section)}</div>"
            f"<q>{highlight(c.get('quote', ''), item.must_include)}</q></div>"
        )
    if not parts:
        parts.append('<span class="na">无引用</span>')
    if item.evidence:
        gold = "".join(
            f'<div class="cite"><div class="src">{e(ev.file)} · {e(ev.section)}</div>'
            f"<q>{highlight(ev.quote, item.must_include)}</q></div>"
            for ev in item.evidence
        )
        parts.append(f"<details><summary>标准证据 ({len(item.evidence)})</summary>{gold}</details>")
    return "".join(parts)


def _verdict_cell(score: ItemScore) -> str:
    badge = '<span class="badge pass">PASS</span>' if score.passed else '<span class="badge fail">FAIL</span>'
    out = badge
    if score.reason:
        out += f'<div class="reason">{e(score.reason)}</div>'
    facts = [f"{score.latency_ms:.0f} ms"]
    if score.answerable:
        facts.append(f"ctx rank {score.context_rank or '—'}")
        if score.token_f1 is not None:
            facts.append(f"F1 {score.token_f1:.2f}")
    out += f'<div class="meta">{e(" · ".join(facts))}</div>'
    return out


def _items_table(run: EvalRun) -> str:
    records = {r.id: r for r in run.records}
    scores = {s.id: s for s in run.scores}
    rows = []
    for item in run.items:
        rec, score = records[item.id], scores[item.id]
        rows.append(
            f'<tr id="item-{e(item.id)}" class="{"pass" if score.passed else "fail"}">'
            f'<td class="id">{e(item.id)}</td>'
            f"<td>{e(TYPE_LABELS.get(item.type, item.type))}<br><span class='na'>{e(item.type)}</span></td>"
            f'<td class="q">{_question_cell(item)}</td>'
            f'<td class="ans">{_answer_cell(item, rec, score)}</td>'
            f'<td class="cit">{_citations_cell(item, rec, score)}</td>'
            f"<td>{_verdict_cell(score)}</td></tr>"
        )
    return (
        '<h2>逐题 Per question</h2><table class="items"><tr><th>ID</th><th>题型</th><th>问题</th>'
        "<th>回答</th><th>引用</th><th>结果</th></tr>" + "".join(rows) + "</table>"
    )


def render_report(run: EvalRun, thresholds: dict[str, float] | None = None) -> str:
    """The whole page as a string."""
    sections = [
        _header(run, thresholds),
        _cards(run, thresholds),
        _type_bars(run),
        _compare(run.comparison) if run.comparison else "",
        _failures_index(run.scores),
        _items_table(run),
        judge_section(run.info["judge"], e) if "judge" in run.info else "",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>ReportQA 评测报告</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(s for s in sections if s)
        + "\n</body></html>\n"
    )
