"""Narrowing a sentence to its answer: which clause holds the asked fact; pages in traditional characters."""

from __future__ import annotations

import pytest

from bot.pipeline import ReportQA
from bot.settings import Settings
from bot.types import HistoryTurn
from ingest.index import ingest
from tests.conftest import fixture_qa

REPORT = (
    "长沙市岳麓区人力资源和社会保障局2022年法治政府建设年度报告\n\n一、主要举措\n\n"
    "（一）推进网上办事。在省政务服务网上的事项网办率为100%，其中全流程网办服务事项96项，全流程网办率71.5%。\n\n"
    "（二）提升考试成效。全年组织执法人员考试两次，205位同志参加了考试，有198位同志顺利通过考试。\n\n"
    "（四）案卷评查。在2022年度全市人力资源社会保障行政执法案卷评查工作中，经市局组织专家交叉评审，"
    "我局参评的行政许可和行政确认案卷均获得95分，居全市第一。\n\n"
    "（三）完善制度。2021年完成《岳麓区劳动用工备案办法》的修订工作，《岳麓区集体协商规则》已报区政府审议。\n\n"
    "二、存在的问题\n\n一是基层执法人员配备偏少，专业人才匮乏；二是部分执法文书制作仍不够规范。\n"
)


TRADITIONAL = (
    "汕頭市龍湖區人民政府2020年法治政府建設年度報告\n\n一、主要做法\n\n"
    "（一）依法決策。全年主持召開涉及法治政府建設事項的區政府常務會議17次，審議規範性文件6件。\n"
)


def measure_qa(tmp_path_factory: pytest.TempPathFactory, name: str, measure: str, **others: str) -> ReportQA:
    """A bot over 岳麓区人社局's 2022 report whose one section holds `measure` (its heading first, "审批提速。…"),
    and over the same report of each district in `others` (district name → its measure)."""
    head = "长沙市{}人力资源和社会保障局2022年法治政府建设年度报告\n\n一、主要举措\n\n（一）{}"
    reports = {f"{i}.txt": head.format(d, m) for i, (d, m) in enumerate({"岳麓区": measure, **others}.items())}
    return fixture_qa(tmp_path_factory.mktemp(name), reports)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> ReportQA:
    root = tmp_path_factory.mktemp("spans")
    folder = root / "reports"
    folder.mkdir()
    (folder / "a.txt").write_text(REPORT, encoding="utf-8")
    (folder / "t.txt").write_text(TRADITIONAL, encoding="utf-8")
    settings = Settings(_env_file=None, index_dir=root / "index", cache_dir=root / "cache", use_dense=False)  # type: ignore[call-arg]
    ingest([folder], settings, None)
    return ReportQA.from_settings(settings)


def test_the_asked_number_is_the_one_in_the_clause_that_matches_the_question(qa: ReportQA) -> None:
    # the question's other words (事项) sit in the clause of another percentage
    ans = qa.ask("岳麓区人社局在政务服务网上的事项，全流程网上能办的比例是多少？")
    assert ans.answerable and "71.5%" in ans.answer


def test_a_page_in_traditional_characters_answers_a_simplified_question(qa: ReportQA) -> None:
    ans = qa.ask("龙湖区政府2020年召开涉及法治政府建设事项的常务会议多少次？")
    assert ans.answerable and "17次" in ans.answer
    assert [c.source for c in ans.citations] == ["t.txt"]
    assert "會議" in ans.citations[0].quote  # quoted as the page writes it


def test_a_document_asked_by_title_needs_the_fact_beside_its_own_name(qa: ReportQA) -> None:
    # the year in the sentence is of another document: none is given for this one
    ans = qa.ask("《岳麓区集体协商规则》是哪年完成修订工作的？")
    assert not ans.answerable
    named = qa.ask("岳麓区《岳麓区劳动用工备案办法》是哪年修订的？")
    assert named.answerable and "2021年" in named.answer


def test_a_question_about_shortcomings_is_answered_from_the_section_on_them(qa: ReportQA) -> None:
    ans = qa.ask("岳麓区人社局自己觉得短板在哪儿？")
    assert ans.answerable and "执法人员配备偏少" in ans.answer


def test_a_deputy_is_not_the_post_asked_for() -> None:
    from bot.answer.extractive.terms import EXACT, term_match

    assert term_match("组长", "由局长任组长") == EXACT
    assert term_match("组长", "分管副局长任副组长") < EXACT
    assert term_match("副组长", "分管副局长任副组长") == EXACT


def test_a_short_last_clause_that_finishes_the_statement_is_kept(qa: ReportQA) -> None:
    ans = qa.ask("岳麓区人社局行政执法案卷评查成绩怎么样？")
    assert ans.answerable and "95分" in ans.answer and "居全市第一" in ans.answer


SIDES = {
    "yl.txt": "长沙市岳麓区人力资源和社会保障局2022年法治政府建设年度报告\n\n一、主要举措\n\n（一）调解仲裁。"
    "区劳动人事争议仲裁院设立调解窗口，全年受理劳动争议案件320件，在劳动关系、工资支付、社会保险、工伤待遇、"
    "经济补偿、职业技能、人才流动等各个方面为劳动者和企业提供调解服务，调解成功率达到百分之六十以上。\n",
    "tx.txt": "长沙市天心区人力资源和社会保障局2022年法治政府建设年度报告\n\n一、主要举措\n\n（一）调解仲裁。"
    "区劳动人事争议仲裁院推行先调后裁，全年受理劳动争议案件210件，在街道、社区、园区、商圈、重点企业、"
    "建筑工地、物流站点等各个地方设立调解工作室，组织专职调解员轮流驻点，就近化解劳动纠纷。\n",
}


@pytest.fixture(scope="module")
def sides(tmp_path_factory: pytest.TempPathFactory) -> ReportQA:
    return fixture_qa(tmp_path_factory.mktemp("sides"), SIDES)  # type: ignore[no-any-return]


def test_each_side_of_a_comparison_is_a_short_run_of_clauses(sides: ReportQA) -> None:
    ans = sides.ask("岳麓区和天心区的劳动争议调解各是怎么做的？")
    assert ans.answerable and {c.source for c in ans.citations} == {"yl.txt", "tx.txt"}
    limit = sides.extractive.params.side_max_chars
    assert all(len(c.quote) <= limit for c in ans.citations), [c.quote for c in ans.citations]


def test_a_follow_up_of_single_characters_asks_for_the_word_they_make(tmp_path_factory: pytest.TempPathFactory) -> None:
    qa = measure_qa(
        tmp_path_factory,
        "joined",
        "建议提案。"
        "本年度本单位牵头承办人大代表建议3件、政协委员提案4件。此外，本单位共会办了7个区人大建议，9个区政协提案。\n",
    )
    first = "岳麓区人社局去年牵头办了多少人大建议和政协提案？"
    assert "3件" in qa.ask(first).answer
    ans = qa.ask("那会办的呢？", [HistoryTurn(role="user", content=first)])  # jieba cuts 会办 into 会 / 办
    assert ans.answerable and "7个" in ans.answer and "3件" not in ans.answer


def test_the_share_said_right_after_a_count_stays_with_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    qa = measure_qa(
        tmp_path_factory,
        "share",
        "审批提速。在局18项审批备案事项中，15项得到提速，占比83.33%，9项实现即时办结，占比50%，群众满意度明显提升。\n",
    )
    ans = qa.ask("岳麓区人社局的审批备案事项里有几项做到即时办结？")
    assert ans.answerable and "9项实现即时办结，占比50%" in ans.answer


def test_the_figures_said_after_a_count_stay_with_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    qa = measure_qa(
        tmp_path_factory,
        "numbers",
        "执法资格。"
        "2022年上半年组织了局系统行政执法人员资格考试，120位同志参加了考试，有115位同志通过考试，通过率95.8%，"
        "执法队伍素质进一步提高。\n",
    )
    ans = qa.ask("岳麓区人社局那次执法人员资格考试，多少人考过了？")
    assert ans.answerable and "115位" in ans.answer and "95.8%" in ans.answer, ans.answer
    assert "素质" not in ans.answer  # a clause with no number ends the run


def test_an_answer_that_opens_an_enumeration_gives_its_other_items(tmp_path_factory: pytest.TempPathFactory) -> None:
    qa = fixture_qa(
        tmp_path_factory.mktemp("enum"),
        {
            "a.txt": "长沙市岳麓区人力资源和社会保障局2022年法治政府建设年度报告\n\n二、存在的不足\n\n"
            "我局法治政府建设还存在以下不足：一是执法检查计划安排流于形式，针对性不强。二是部分窗口人员法律素养偏低，"
            "解释政策不够准确。三是法治宣传覆盖面不广。\n\n三、下一步打算\n\n继续加强执法队伍建设。\n"
        },
    )
    ans = qa.ask("岳麓区人社局觉得自己法治政府建设哪里做得还不够好")
    assert ans.answerable, ans.answer
    assert all(item in ans.answer for item in ("流于形式", "法律素养偏低", "覆盖面不广")), ans.answer
    assert len(ans.citations) == 3


def test_which_firm_is_answered_only_by_a_firms_name(tmp_path_factory: pytest.TempPathFactory) -> None:
    qa = measure_qa(
        tmp_path_factory,
        "firm",
        "法律顾问。全面实施法律顾问制度、公职律师管理制度，从律师事务所中选聘兼职仲裁员12名。\n",
        天心区="法律顾问。聘请了湖南金州律师事务所律师为常年法律顾问，每月召开法律顾问咨询会。\n",
    )
    assert not qa.ask("岳麓区人社局2022年请的是哪家律师事务所当法律顾问？").answerable
    ans = qa.ask("天心区人社局2022年请的是哪家律师事务所当法律顾问？")
    assert ans.answerable and "湖南金州律师事务所" in ans.answer, ans.answer


def test_wages_asked_are_not_answered_by_a_head_count(tmp_path_factory: pytest.TempPathFactory) -> None:
    qa = measure_qa(
        tmp_path_factory,
        "wages",
        "根治欠薪。全年开展专项检查，依法为农民工追回欠薪，惠及人员7万余人次。\n",
    )
    ans = qa.ask("岳麓区人社局2022年帮农民工追回了多少欠薪？")
    assert not ans.answerable, ans.answer


def test_a_bodys_short_name_is_no_persons_name(tmp_path_factory: pytest.TempPathFactory) -> None:
    qa = measure_qa(
        tmp_path_factory,
        "person",
        "多元调解。"
        "发挥法治工作领导小组(行政调解)+劳动争议仲裁委(仲裁调解)+劳动纠纷人民调委会(人民调解)3大组织作用，"
        "重点构建3大调解中心、8个街道调解工作站，创新劳动纠纷多元预防调处化解治理机制，力争将劳动纠纷化解在基层。\n",
    )
    ans = qa.ask("岳麓区人社局的法治工作领导小组组长是谁？")  # jieba tags 仲裁委 as a person's name
    assert not ans.answerable, ans.answer


def test_a_chain_of_steps_written_with_dashes_is_a_list(tmp_path_factory: pytest.TempPathFactory) -> None:
    qa = measure_qa(
        tmp_path_factory,
        "dashes",
        "柔性调解。"
        "联合区总工会、工商联设立三方联合调解中心，从劳动者、用人单位、调处部门多维度开展调解工作，"
        "同时建立“街道初调—联合会调—受理约调—庭前调解—庭审调解”五站调解模式，柔性化解劳动争议。\n",
    )
    ans = qa.ask("岳麓区人社说的五站调解，具体是哪五站")
    assert ans.answerable and "街道初调" in ans.answer and "庭审调解" in ans.answer, ans.answer


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> ReportQA:
    return fixture_qa(  # type: ignore[no-any-return]
        tmp_path_factory.mktemp("kinds"),
        {
            "a.txt": "长沙市岳麓区人力资源和社会保障局2022年法治政府建设年度报告\n\n一、主要举措\n\n（一）组织领导。"
            "成立以局党委书记、局长为组长的法治政府建设工作领导小组，统筹推进全局法治工作。"
            "继续聘请湖南六和律师事务所律师担任法律顾问，为重大决策提供法律意见。\n\n（二）制度建设。"
            "出台《关于进一步加强行政应诉工作的通知》（岳人社发〔2022〕21号），规范应诉流程。"
            "我局被评为全省首批法治政府建设示范单位。\n"
        },
    )


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("岳麓区人社局2022年法治政府建设工作领导小组由谁任组长？", "局党委书记、局长"),  # a post heads it
        ("岳麓区人社局2022年聘请哪家律师事务所当法律顾问？", "湖南六和律师事务所"),  # 六 cut as a numeral
        ("岳麓区人社局关于加强行政应诉工作的通知文号是什么？", "岳人社发〔2022〕21号"),
        ("岳麓区人社局是全省第几批法治政府建设示范单位？", "首批"),
    ],
)
def test_the_asked_kind_of_fact_is_found_in_its_own_forms(kinds: ReportQA, question: str, fact: str) -> None:
    ans = kinds.ask(question)
    assert ans.answerable and fact in ans.answer, ans.answer


def test_which_side_has_more_is_said_when_each_side_gives_one_count(tmp_path_factory: pytest.TempPathFactory) -> None:
    qa = measure_qa(
        tmp_path_factory,
        "more",
        "根治欠薪。全年将情节严重的6宗欠薪逃匿案件移送公安机关处理。\n",
        天心区="根治欠薪。全年将9宗欠薪逃匿案件移送公安机关，公安机关及时立案。\n",
    )
    ans = qa.ask("岳麓区和天心区移送公安的欠薪逃匿案件，哪边多？")
    assert ans.answerable and ans.answer.startswith("天心区2022年更多。"), ans.answer
    same = qa.ask("岳麓区和天心区2022年各移送了几宗欠薪逃匿案件？")  # not asked which is more: no verdict
    assert not same.answer.startswith(("天心区2022年更多", "一样多")), same.answer


@pytest.mark.parametrize(
    ("term", "text", "found"),
    [
        ("没输", "诉讼案件无一终审败诉", True),  # the report's word (a synonym) after its negation
        ("没输", "办理案件117件,无败诉和被纠错案件", True),
        ("没出事", "全年未发生安全事故", False),  # 出事 is not what the text negates
        ("没输", "败诉6件", False),  # a loss, not its absence
    ],
)
def test_a_word_saying_something_did_not_happen_matches_the_reports_negation(term: str, text: str, found: bool) -> None:
    from bot.answer.extractive.terms import SYNONYM, term_match

    assert (term_match(term, text) >= SYNONYM) is found


def test_words_that_frame_a_question_are_not_asked_and_a_shortcoming_asks_its_section() -> None:
    from bot.answer.extractive.terms import asked_terms
    from bot.text.lexicon import section_words

    terms = asked_terms(section_words("两江觉得自己工作里还有哪些没做好的？"), [])
    assert "觉得" not in terms and "还有" not in terms
    assert "市里" in asked_terms("从市里接过来多少事项？", [])  # but the city is: what came from it
    assert "存在问题" in section_words("白云承认法治建设上有哪些毛病？")
