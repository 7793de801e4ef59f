"""An LLM-judged column, RAGAS-style (optional; only with an LLM configured, never needed offline).

For every answer the bot gave, the judge sees the question, the answer, the quotes it cited and the gold
reference, and returns ``{"claims": n, "supported": m, "correct": true|false}``:

- **faithfulness** = supported / claims: the share of the answer's factual claims that the cited quotes
  support (1.0 for an answer with no claims); averaged over answered items;
- **correctness** = the share of answered items the judge finds consistent with the reference answer.

Judgements that cannot be parsed are recorded as errors and left out of both averages.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any

from eval.records import BotRecord, GoldItem

log = logging.getLogger(__name__)

JUDGE_SYSTEM = (
    "你是严格的评审员。只根据给出的“引用资料”判断“回答”中的每一个事实（数字、名称、日期、做法）是否得到资料支持，"
    "并判断回答与“参考答案”是否一致。只输出一个 JSON 对象，不要输出其他内容："
    '{"claims": 回答中的事实数, "supported": 其中有资料支持的事实数, "correct": true 或 false}'
)


def judge_prompt(item: GoldItem, rec: BotRecord) -> str:
    quotes = "\n".join(f"[{i}] {c['quote']}" for i, c in enumerate(rec.citations, 1)) or "（无）"
    return f"问题：{item.question}\n\n回答：{rec.answer}\n\n引用资料：\n{quotes}\n\n参考答案：{item.answer}"


def parse_judgement(text: str) -> dict[str, Any]:
    m = re.search(r"\{.*\}", text, re.S)
    if not m:
        raise ValueError(f"no JSON object in the judge's answer: {text[:80]!r}")
    data = json.loads(m.group(0))
    claims, supported = int(data["claims"]), int(data["supported"])
    if claims < 0 or not 0 <= supported <= max(claims, 0):
        raise ValueError(f"inconsistent judgement: {data}")
    return {"claims": claims, "supported": supported, "correct": bool(data["correct"])}


def judge_run(chat: Any, items: Sequence[GoldItem], records: Sequence[BotRecord]) -> dict[str, Any]:
    """Judge every answered item with `chat` (a LangChain chat model); returns totals and per-item results."""
    from langchain_core.messages import HumanMessage, SystemMessage

    by_id = {r.id: r for r in records}
    per_item: dict[str, dict[str, Any]] = {}
    for item in items:
        rec = by_id.get(item.id)
        if rec is None or not rec.answerable or rec.error:
            continue
        try:
            msg = chat.invoke([SystemMessage(content=JUDGE_SYSTEM), HumanMessage(content=judge_prompt(item, rec))])
            per_item[item.id] = parse_judgement(str(msg.content))
        except Exception as exc:  # a judge failure is recorded, never fatal to the eval
            log.warning("judge failed on %s: %s", item.id, exc)
            per_item[item.id] = {"error": f"{type(exc).__name__}: {str(exc)[:160]}"}
    ok = [v for v in per_item.values() if "error" not in v]
    faith = [v["supported"] / v["claims"] if v["claims"] else 1.0 for v in ok]
    return {
        "judged": len(ok),
        "errors": len(per_item) - len(ok),
        "faithfulness": round(sum(faith) / len(faith), 4) if faith else None,
        "correctness": round(sum(1 for v in ok if v["correct"]) / len(ok), 4) if ok else None,
        "items": per_item,
    }


def judge_section(judge: dict[str, Any], escape: Any) -> str:
    """The report.html section for a judged run."""
    rows = "".join(
        f"<tr><td>{escape(i)}</td><td>{escape(v.get('supported', '—'))}/{escape(v.get('claims', '—'))}</td>"
        f"<td>{'✔' if v.get('correct') else ('✘' if 'correct' in v else escape(v.get('error', '')))}</td></tr>"
        for i, v in sorted(judge["items"].items())
    )
    return (
        "<h2>LLM 评审 LLM-judged faithfulness</h2>"
        f"<p>faithfulness {escape(judge['faithfulness'])} · correctness {escape(judge['correctness'])} · "
        f"judged {escape(judge['judged'])}, errors {escape(judge['errors'])}</p>"
        "<table class='items'><tr><th>ID</th><th>supported/claims</th><th>correct</th></tr>" + rows + "</table>"
    )
