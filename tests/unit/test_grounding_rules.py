"""Verification forms not yet seen from the real model (the forms the issue names), tested on bot.grounding's
functions alone; what a real model wrote is replayed through the scripted server in tests/e2e/test_grounding.py."""

from __future__ import annotations

import pytest

from bot.grounding import clean, digits, drop_echoed_headers, is_lead_in, is_refusal, stated_numbers, support


# Not yet seen from the real model (the forms the issue names), tested on the functions.
def test_markdown_and_other_reference_forms_are_cleaned() -> None:
    assert clean("```\n**答案：** 共受理28件【2】，另见[资料1, 3]。\n```") == "共受理28件[2]，另见[1][3]。"
    assert clean("## 回答\n- 共28件［1］") == "回答\n共28件[1]"


def test_chinese_numerals_are_compared_in_digits() -> None:
    assert digits("出庭二十八件") == "出庭28件"
    assert [(v, shown) for v, _end, shown in stated_numbers("共二十八件[1]，增长84.77%，两人")] == [
        ("28", "二十八件"),
        ("84.77", "84.77"),
        ("2", "两人"),
    ]
    assert digits("共1,234人") == "共1234人"


def test_refusals_in_the_models_own_words_are_recognised() -> None:
    assert is_refusal("报告中没有提到2021年的数据[1]。")
    assert is_refusal("根据提供的资料，无法确定律师事务所的名称。")
    assert not is_refusal("白云区2020年没有发生行政诉讼败诉案件[1]。")  # an answer that says "none"


def test_lead_ins_and_echoes_are_recognised() -> None:
    assert is_lead_in("主要有以下几个方面：[2]") and not is_lead_in("共28件[1]。")
    assert drop_echoed_headers("《某报告》 一、总体 > (二)措施\n共28件[1]。") == "共28件[1]。"


def test_support_is_the_share_of_the_answers_own_wording_in_the_cited_text() -> None:
    cited = "行政机关负责人出庭28件,法院共结案一审案件67件"
    assert support("行政机关负责人出庭28件[1]", cited, "出庭几件？") == pytest.approx(1.0)
    assert (support("法律顾问来自广州市白云区法律事务所[1]", cited, "法律顾问是谁？") or 0) < 0.2
    assert support("28件[1]", cited, "出庭几件？") is None  # too little to judge
    # q112 (unanswerable): the model said yes by restating the question; the cited block is about other training
    restated = support(
        "武汉人社局办了线上机关档案业务培训班[1]",
        "共组织各类培训班39期,培训5600人",
        "武汉人社局办了线上机关档案业务培训班吗？",
    )
    assert restated is not None and restated < 0.35
