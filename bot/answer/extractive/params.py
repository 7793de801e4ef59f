"""The extractive answerer's numbers: coverage thresholds, score weights, lengths and limits, in one place.

They were tuned by hand against the gold set; keeping them together (and out of the code) lets a later
change fit them. Scores are coverages in [0, 1] (the weighted share of the asked terms a span holds) plus
bonuses and penalties on the same scale; lengths are in characters of the cleaned chunk text.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class ExtractiveParams:
    """Thresholds and weights of `ExtractiveAnswerer` (the defaults are the hand-tuned values)."""

    # ------------------------------------------------------------------ when to answer
    min_coverage: float = 0.36
    """Least coverage of the asked terms for a question asking a typed fact (count, percent, amount, who, …)."""
    min_coverage_fact: float = 0.35
    """Least coverage for any other question (fact, how, list, yes/no)."""
    side_max_chars: int = 50
    """In a comparison, each report's answer is the best run of clauses at most this long, when there is one."""
    compare_coverage_factor: float = 0.45
    """In a comparison the report is named and the fact type must match: the bar is this × min_coverage_fact."""
    compare_max_chars: int = 80
    """A comparison longer than this gives each side by the clause of its number alone: read at a glance."""
    survey_relative_coverage: float = 0.8
    """Across the collection (no report named), a report's answer needs this share of the best report's
    coverage and the rarest asked noun: the reports that answer hold the same asked terms."""
    min_section_coverage: float = 0.55
    """Least score of a section heading for a list question to be answered by the section's items."""
    section_length_cost: float = 0.002
    """Score a section heading loses per character: the shortest heading that covers the question wins."""
    # ------------------------------------------------------------------ scoring sentences
    context_term_weight: float = 0.35
    """Weight of a term of the previous question (a follow-up's topic) relative to the question's own terms."""
    heading_match_factor: float = 0.8
    """An asked term found in the section heading counts this much of one found in the sentence."""
    key_term_min_match: float = 0.7
    """The rarest asked noun is in a sentence when term_match gives at least this (the gate's `key` feature)…"""
    key_term_miss_factor: float = 0.5
    """…and a numeric answer's coverage is multiplied by this when it is not."""
    type_bonus: float = 0.3
    """Score bonus of a sentence that holds the asked kind of fact."""
    partial_asks_bonus: float = 0.15
    """The bonus instead when the question asks for several numbers and the sentence holds fewer."""
    aspiration_penalty: float = 0.15
    """Score lost by a target or plan ("力争…达到95%") when the question does not ask about plans."""
    title_verb_bonus: float = 0.2
    """Score bonus of a sentence that introduces a document the way the question asks ("根据《…》")."""
    heading_echo_penalty: float = 0.25
    """Score lost by a sentence that only repeats its section's heading."""
    rank_bonus: float = 0.06
    """Bonus of a sentence of the best-ranked hit; a hit of rank r gets this / (1 + r)."""
    # ------------------------------------------------------------------ narrowing a sentence to clauses
    narrow_min_chars: int = 45
    """A sentence this short (or of one clause) is answered whole."""
    short_tail_chars: int = 6
    """A sentence's last clause this short joins the answer before it ("…获得96分,居全省第一")."""
    share_max_chars: int = 16
    """A clause this short after a count, holding a percentage ("占比53.33%", "同比下降50%"), joins the answer."""
    number_run_chars: int = 60
    """A count or amount answer takes the clauses after it that give more numbers, up to this many characters."""
    parts_max_chars: int = 72
    """The longest answer to a question asking several numbers, the clauses answering each part together."""
    enumeration_max_chars: int = 150
    """An answer that opens an enumeration ("存在以下问题:一是…") takes its later items (二是…, 三是…) when all
    of them fit in this many characters."""
    window_max_clauses: int = 4
    """Most clauses of a sentence one answer window spans."""
    cited_title_factor: float = 0.6
    """An asked term found only inside a cited title (《…》) counts this much."""
    negated_penalty: float = 0.3
    """Coverage lost by a window naming a word the question excludes ("不算上年结转的")."""
    list_item_bonus: float = 0.05
    """Coverage gained by a window per enumeration comma (、) for a list question…"""
    list_bonus_max: float = 0.3
    """…up to this much."""
    title_verb_window_bonus: float = 0.3
    """Coverage gained by a window that introduces a document the way the question asks."""
    length_cost_typed: float = 0.006
    """Coverage a window loses per character for a typed question: a clause must earn its length."""
    length_cost: float = 0.004
    """The same for other questions."""
    widen_how_chars: int = 55
    """A "how/why" answer is widened to neighbouring clauses until it is this long…"""
    widen_chars: int = 50
    """…a fact or yes/no answer until this long…"""
    widen_max_chars: int = 100
    """…but never beyond this many characters."""
    # ------------------------------------------------------------------ tightening a span
    tighten_min_chars: int = 50
    """A span this short is never tightened."""
    explanation_keep_chars: int = 80
    """An explanation (not a typed fact or a list) this short keeps its context."""
    weak_terms_share: int = 3
    """The commonest 1/n of the asked terms (n = this) cannot hold a clause alone."""
    # ------------------------------------------------------------------ following sentences, lists, refusals
    next_sentence_max_chars: int = 120
    """A following sentence longer than this is not added to an answer."""
    continuation_max_chars: int = 100
    """Most characters of an answer plus the continuing sentence ("同时…") added to it."""
    short_how_chars: int = 20
    """A "how" answer shorter than this is followed by the next sentence (its reason or detail)."""
    list_whole_max_chars: int = 70
    """A list sentence without enumerated items is answered whole up to this length, else narrowed."""
    max_list_items: int = 8
    """Most enumerated items (一是…, ：A；B；C) a list answer holds."""
    max_children: int = 10
    """Most sub-sections a list answer from a section's sub-headings names."""
    child_lead_chars: int = 150
    """A sub-section is cited with its first sentence when that sentence ends within this many characters."""
    snippet_chars: int = 60
    """A refusal quotes the closest passage up to this many characters…"""
    snippet_min_chars: int = 12
    """…and the whole sentence when the narrowed passage is shorter than this (it says nothing on its own)."""
    catalog_shown: int = 20
    """A refusal names at most this many reports, then says how many there are."""
    weak_pos_weight: float = 0.4
    """Weight of an asked term made only of adjectives, adverbs and the like (nouns and verbs weigh 1)."""

    def __post_init__(self) -> None:
        if not 0 < self.min_coverage <= 1 or not 0 < self.min_coverage_fact <= 1:
            raise ValueError(
                "coverage thresholds must be in (0, 1], "
                f"got min_coverage={self.min_coverage}, min_coverage_fact={self.min_coverage_fact}"
            )
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int) and value <= 0:
                raise ValueError(f"ExtractiveParams.{f.name} must be > 0, got {value}")
