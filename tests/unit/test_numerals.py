"""Counted Chinese numerals are compared as digits; numerals inside words are left alone."""

from __future__ import annotations

import pytest

from bot.text.numerals import arabic


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("连续四年", "连续4年"),
        ("两人", "2人"),
        ("百分之八十", "80%"),
        ("百分之八十四点七七", "84.77%"),
        ("三千余件", "3000余件"),
        ("共十二人次", "共12人次"),
        ("两万元", "2万元"),
        ("一千二百人", "1200人"),
        ("二〇二一年", "2021年"),
        ("公开信息百余条", "公开信息100余条"),  # a hundred written without its 一
        ("千余人次", "1000余人次"),
        ("追回6551万元", "追回6551万元"),  # 万 after digits is part of the number, not a numeral of its own
    ],
)
def test_counted_numerals_become_digits(text: str, expected: str) -> None:
    assert arabic(text) == expected


@pytest.mark.parametrize(
    "text", ["统一", "一审", "一是加强", "第一", "一把手", "十三五", "七五普法", "两江新区", "万元"]
)
def test_numerals_inside_words_are_kept(text: str) -> None:
    assert arabic(text) == text


@pytest.mark.parametrize(
    ("sentence", "counts"),
    [
        ("2016年9月23日上午，局长到庭参加庭审", False),  # a day of a date is no count of days
        ("9月23日召开会议", False),
        ("共压缩办理时限23日", True),
        ("2016年9月办理案件23件", True),
        ("保证了每一件规范性文件的质量", False),  # a rule for each one, not how many
        ("每月5日为局长接待日", False),
    ],
)
def test_a_date_or_a_frequency_is_not_the_answer_to_how_many(sentence: str, counts: bool) -> None:
    from bot.answer.extractive.facts import type_ok
    from bot.query import Query

    query = Query(typed="办了多少？", search_text="办了多少？", asked="办了多少？", qtype="count")
    assert type_ok(query, sentence, set()) is counts


@pytest.mark.parametrize(
    ("sentence", "named"),
    [
        ("在全省率先起草和谐劳动关系企业评定管理办法，明确激励措施", True),
        ("制定《劳动用工备案办法》", True),
        ("明确了正向激励措施和约束措施", False),
    ],
)
def test_a_document_may_be_named_without_title_marks(sentence: str, named: bool) -> None:
    from bot.answer.extractive.facts import type_ok
    from bot.query import Query

    query = Query(typed="率先起草的是什么办法？", search_text="", asked="率先起草的是什么办法？", qtype="name")
    assert type_ok(query, sentence, set()) is named
