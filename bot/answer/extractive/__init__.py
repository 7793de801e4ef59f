"""The offline extractive answerer: picks the minimal clauses that answer, cites them, or refuses.

For every sentence of the retrieved chunks it measures how much of the question's *asked terms* the
sentence covers (weighted by rarity, with colloquial synonyms), and whether it holds the kind of fact asked
for: a number with the asked unit for a count, a percentage, an amount, a date, a name, an enumeration.
The best sentence is narrowed to the clauses that carry the answer. When no sentence covers the question
well enough, or none holds the asked kind of fact, the bot refuses and says what it did find.

    terms      asked terms, their weights, term_match     facts     the asked kind of fact
    spans      sentences, clauses, narrowing/tightening   scoring   sentences scored against the question
    lists      list answers                               compose   answer text, citations, refusals
    params     ExtractiveParams (all the numbers)         context   AnswerContext (one question's data)
    answerer   ExtractiveAnswerer                         adapter   ExtractiveAdapter (the Answerer seam)
"""

from bot.answer.extractive.adapter import ExtractiveAdapter
from bot.answer.extractive.answerer import ExtractiveAnswerer
from bot.answer.extractive.context import AnswerContext
from bot.answer.extractive.facts import numbers_in, unit_ok
from bot.answer.extractive.params import ExtractiveParams
from bot.answer.extractive.spans import Candidate, Piece
from bot.answer.extractive.terms import QUESTION_WORDS, TermWeights, asked_terms, negated_terms, term_match

__all__ = [
    "QUESTION_WORDS",
    "AnswerContext",
    "Candidate",
    "ExtractiveAdapter",
    "ExtractiveAnswerer",
    "ExtractiveParams",
    "Piece",
    "TermWeights",
    "asked_terms",
    "negated_terms",
    "numbers_in",
    "term_match",
    "unit_ok",
]
