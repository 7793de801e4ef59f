"""Generative answers through any OpenAI-compatible chat endpoint, verified before they reach a user.

LangChain's ChatOpenAI writes the answer from numbered context blocks (prompts/ holds the Chinese system
and answer templates). Afterwards every [n] must name a retrieved block, every number must appear in a
cited block, and each reference becomes a citation with exact offsets. When the endpoint fails, times out
or answers garbage, the extractive answerer answers instead and the reason is logged.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.analysis import char_ngrams, normalize, sentence_spans
from bot.errors import ConfigError, LLMError
from bot.settings import Settings
from bot.types import CANNOT_ANSWER, Answer, Citation, Context, Hit

if TYPE_CHECKING:
    from bot.extractive import ExtractiveAnswerer
    from bot.pipeline import Prepared

log = logging.getLogger(__name__)

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
_REF = re.compile(r"\[(\d{1,2})\]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
UNVERIFIED = "（未在所引资料中找到）"


def load_prompt(name: str) -> str:
    path = PROMPTS_DIR / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"prompt file {path} is missing: reinstall or restore prompts/.") from exc


def format_contexts(hits: Sequence[Hit], titles: dict[str, str]) -> str:
    blocks = []
    for i, h in enumerate(hits, 1):
        c = h.chunk
        where = " > ".join(c.section_path) or "正文"
        blocks.append(f"[{i}] 《{titles.get(c.report_id, c.source)}》 {where}\n{c.text}")
    return "\n\n".join(blocks)


def format_history(history: Sequence[Any]) -> str:
    if not history:
        return ""
    lines = [("用户" if t.role == "user" else "助手") + "：" + t.content.strip()[:500] for t in history[-6:]]
    return "此前的对话：\n" + "\n".join(lines) + "\n\n"


class BudgetExceeded(LLMError):
    """The answer took longer to write than the generation budget allows."""


class LLMAnswerer:
    """Answers with a LangChain chat model; `chat` is any BaseChatModel (ChatOpenAI in production).

    `budget` bounds the seconds from the request to the last token: past it the stream is closed (a server
    that stops on disconnect, such as `python -m bot llm serve`, stops generating) and the extractive answer
    is given, with the reason.
    """

    def __init__(self, chat: Any, *, max_blocks: int = 6, budget: float = 60.0):
        if max_blocks <= 0:
            raise ConfigError(f"max_blocks must be > 0, got {max_blocks}")
        if budget <= 0:
            raise ConfigError(f"budget must be > 0 seconds, got {budget}")
        self.chat = chat
        self.max_blocks = max_blocks
        self.budget = budget
        self.system = load_prompt("system.md")
        self.template = load_prompt("answer.md")

    # ------------------------------------------------------------------ prompt
    def messages(self, prep: Prepared, history: Sequence[Any] = ()) -> list[Any]:
        from langchain_core.messages import HumanMessage, SystemMessage

        titles = {rid: r.meta.title for rid, r in prep.data.reports.items()}
        hits = prep.hits[: self.max_blocks]
        user = self.template.format(
            contexts=format_contexts(hits, titles),
            history=format_history(history),
            question=prep.query.question,
        )
        return [SystemMessage(content=self.system), HumanMessage(content=user)]

    # ------------------------------------------------------------------ answering
    def _generate(self, messages: list[Any]) -> Iterator[str]:
        """The answer's pieces as they stream; BudgetExceeded once the budget is spent."""
        deadline = time.monotonic() + self.budget
        stream = self.chat.stream(messages)
        try:
            for chunk in stream:
                piece = _content(chunk)
                if piece:
                    yield piece
                if time.monotonic() > deadline:
                    raise BudgetExceeded(f"the answer was not written within the {self.budget:g} s budget")
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # closes the HTTP stream, so that the server can stop generating

    def answer(self, prep: Prepared, fallback: ExtractiveAnswerer, history: Sequence[Any] = ()) -> Answer:
        try:
            text = "".join(self._generate(self.messages(prep, history)))
            return self.verify(text, prep)
        except Exception as exc:  # transport errors, timeouts, garbage: answer offline instead
            return self._fallback(prep, fallback, exc)

    def stream(
        self, prep: Prepared, fallback: ExtractiveAnswerer, history: Sequence[Any] = ()
    ) -> Iterator[tuple[str, Any]]:
        parts: list[str] = []
        try:
            for piece in self._generate(self.messages(prep, history)):
                parts.append(piece)
                yield "delta", piece
            answer = self.verify("".join(parts), prep)
        except Exception as exc:
            answer = self._fallback(prep, fallback, exc)
            if parts:
                yield "reset", None  # the streamed text is replaced by the fallback answer
            for i in range(0, len(answer.answer), 8):
                yield "delta", answer.answer[i : i + 8]
        yield "answer", answer

    def _fallback(self, prep: Prepared, fallback: ExtractiveAnswerer, exc: Exception) -> Answer:
        if isinstance(exc, BudgetExceeded):
            reason = f"{exc}; answered extractively"
        else:
            reason = f"LLM unavailable ({type(exc).__name__}: {str(exc)[:200]}); answered extractively"
        log.warning("%s", reason)
        ans = fallback.answer(prep)
        ans.reason = reason
        return ans

    # ------------------------------------------------------------------ verification
    def verify(self, text: str, prep: Prepared) -> Answer:
        """Drop references to blocks that were not given, check numbers, and turn [n] into citations."""
        hits = prep.hits[: self.max_blocks]
        contexts = [Context(source=h.chunk.source, start=h.chunk.start, end=h.chunk.end, score=h.score) for h in hits]
        text = (text or "").strip()
        if not text or not re.search(r"[\u4e00-\u9fff]", text):
            raise LLMError(f"LLM answer is empty or not Chinese: {text[:80]!r}")
        if self._leaks_prompt(text):
            raise LLMError("LLM answer repeats the system prompt")
        refused = CANNOT_ANSWER in text
        text = text.replace(CANNOT_ANSWER, "").strip(" ：:，,")
        # 1. references to blocks that were not retrieved are dropped
        used: list[int] = []

        def keep(m: re.Match[str]) -> str:
            n = int(m.group(1))
            if 1 <= n <= len(hits):
                if n not in used:
                    used.append(n)
                return m.group(0)
            log.info("dropped reference [%d]: only %d blocks were given", n, len(hits))
            return ""

        text = _REF.sub(keep, text)
        if not refused and not used:
            raise LLMError("LLM answer cites no retrieved block")
        # 2. every number must appear in a cited block (else it is marked)
        cited_text = normalize("".join(hits[n - 1].chunk.text for n in used)) if used else ""
        text = self._check_numbers(text, cited_text)
        # 3. citations: for each block referenced, the sentence of it closest to what the answer says
        renumber: dict[int, int] = {}
        citations: list[Citation] = []
        for n in used:
            cit = self._citation(hits[n - 1], text, prep)
            renumber[n] = len(citations) + 1
            citations.append(cit)
        text = _REF.sub(lambda m: f"[{renumber[int(m.group(1))]}]", text)
        return Answer(
            answer=text,
            answerable=not refused,
            mode="generative",
            citations=citations,
            contexts=contexts,
            resolved_question=prep.query.text if prep.query.text != prep.query.question else None,
            reason="the LLM found no answer in the context" if refused else None,
        )

    def _leaks_prompt(self, text: str, window: int = 16) -> bool:
        """True when the answer quotes the system rules (a prompt-injection "repeat your instructions")."""
        # the rules themselves, not the example sentences they quote (an answer may well look like those)
        rules = re.sub(r"\s+", "", re.sub(r"[“\"][^”\"]*[”\"]", "", self.system))
        flat = re.sub(r"\s+", "", text)
        return any(rules[i : i + window] in flat for i in range(0, max(len(rules) - window, 0), 4))

    @staticmethod
    def _check_numbers(text: str, cited: str) -> str:
        out = []
        pos = 0
        for m in _NUMBER.finditer(text):
            num = m.group(0)
            if len(num) == 1 and num in "0123456789" and text[m.end() : m.end() + 1] == "]":
                continue  # a reference marker, not a fact
            out.append(text[pos : m.end()])
            pos = m.end()
            if text[m.start() - 1 : m.start()] == "[" and text[m.end() : m.end() + 1] == "]":
                continue
            if num not in cited:
                log.info("number %s is not in any cited block", num)
                out.append(UNVERIFIED)
        out.append(text[pos:])
        return "".join(out)

    @staticmethod
    def _citation(hit: Hit, answer: str, prep: Prepared) -> Citation:
        """The sentence of the block that shares the answer's numbers and the most of its wording."""
        c = hit.chunk
        target = char_ngrams(_REF.sub("", answer))
        numbers = set(_NUMBER.findall(_REF.sub("", normalize(answer))))
        best, best_score = (0, len(c.text)), -1.0
        for s, e in sentence_spans(c.text):
            sent = c.text[s:e]
            score = len(char_ngrams(sent) & target) + 5.0 * len(numbers & set(_NUMBER.findall(normalize(sent))))
            score -= 0.01 * len(sent)
            if score > best_score:
                best, best_score = (s, e), score
        start, end = c.orig_span(*best)
        return prep.data.reports[c.report_id].cite(start, end, c.section_path)


def _content(msg: Any) -> str:
    content = getattr(msg, "content", msg)
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return str(content or "")


def make_llm_answerer(settings: Settings) -> LLMAnswerer:
    """ChatOpenAI pointed at the configured OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen, vLLM, Ollama…)."""
    if not settings.llm_base_url:
        raise ConfigError("generative mode needs REPORTQA_LLM_BASE_URL.")
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key or "not-needed",
        model=settings.llm_model,
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout,
        max_tokens=settings.llm_max_tokens,
        max_retries=0,
        streaming=True,  # .stream() yields real tokens; .invoke() aggregates them
    )
    return LLMAnswerer(chat, max_blocks=settings.retrieval_k, budget=settings.llm_budget)
