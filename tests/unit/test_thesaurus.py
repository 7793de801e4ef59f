"""Cilin synonym groups: tight groups of words of two characters or more."""

from __future__ import annotations

from bot.text.thesaurus import MAX_GROUP, synonyms


def test_words_of_one_group_are_synonyms_of_each_other() -> None:
    assert "人员" in synonyms("人手")
    assert "人手" in synonyms("人员")


def test_single_characters_and_unknown_words_give_nothing() -> None:
    assert all(len(w) >= 2 for w in synonyms("人手"))
    assert synonyms("不是一个词语的字符串") == []


def test_loose_groups_are_not_used() -> None:
    assert len(synonyms("败诉")) <= 2 * MAX_GROUP
    assert "破产" not in synonyms("败诉")
