"""The kind of fact a question asks for, and whether a sentence holds it.

A count wants a number with the asked unit (件 accepts 宗 and 件次), a percentage a %, an amount 元, a date a
date, a "who" a person's or an organisation's name, a "which document" a title in 《…》, a list an
enumeration. Numbers the question itself states never count as the answer.
"""

from __future__ import annotations

import functools
import re

from bot.query import Query
from bot.text.analysis import normalize
from bot.text.numerals import MEASURES, counted_numerals

# Question types that ask for one kind of fact, which the answer must hold (typed questions).
TYPED = ("count", "percent", "amount", "who", "when", "name", "rank")
# "哪个文件/什么制度" names the kind of title asked for, not a word the answer must contain.
TITLE_KINDS = frozenset(
    "文件 制度 办法 规定 通知 意见 方案 细则 手册 条例 规章 名字 名称 主题 规范性文件 政策 文件名".split()
)

_UNIT_GROUPS: list[frozenset[str]] = [
    frozenset("件 宗 件次 起 个 例".split()),
    frozenset("次 件次 场 期 轮 回 人次".split()),
    # a case is an event: "输了几场/几回官司" is answered in 件, 宗 or 起
    frozenset("场 回 件 宗 起".split()),
    frozenset("人 名 位 人次 户 余人 余名".split()),
    frozenset("家 个 户 所 余家".split()),
    frozenset("项 个 条 类 款 余项".split()),
    frozenset("部 件 个 份 本".split()),
    frozenset("天 日 个工作日 工作日".split()),
    frozenset("万元 元 亿元 万".split()),
    frozenset("学时 小时 课时".split()),
]
# a number and its unit: any measure word of bot.text.numerals, so 则, 年, 号 and 分 count as units too
_UNITS = sorted({"%", "万元", "亿元", "万人次", "万余", "万", *MEASURES}, key=len, reverse=True)
# a number and its unit, "more than" written between them as part of the unit: 120余个, 30多家
_NUM = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*((?:余|多)?(?:" + "|".join(map(re.escape, _UNITS)) + r"))?")
_YEAR_NUMBER = re.compile(r"(?:19|20)\d{2}")
# a question asking for a telephone number, a fax or a postcode, and how a page writes one
_CONTACT_ASKED = re.compile(r"电话|热线|传真|邮编|邮政编码")
_PHONE = re.compile(r"(?<!\d)(?:0\d{2,3}[-—－ ]?)?\d{7,8}(?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)12345(?!\d)")
_POSTCODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
# a count of a document's parts ("由…6个部分组成", "分为三部分"), and a question asking for one
_PARTS_AFTER = re.compile(r"\s*(?:个\s*)?部分")
_PARTS_ASKED = re.compile(r"几(?:个)?部分|多少(?:个)?部分")
# a question asking how much something changed ("增长了多少", "下降多少"): a percentage answers it
_CHANGE_ASKED = re.compile(r"(?:增长|增加|提高|提升|上升|下降|减少|降低|缩短|压缩)了?(?:多少|几)")
_CN_NUM = re.compile(
    r"(?<![一二三四五六七八九十两第])([二三四五六七八九十两]|[一二三四五六七八九十]{2,3})\s*(步|项|站|条|类|种|级|大|批|轮|方面)"
)
_DATE = re.compile(
    r"(?:19|20)\d{2}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{2}-\d{2}"
)
_EVERY = re.compile(r"每[一个月周年天日人次]?\s*$")
_ENUM = re.compile(r"[一二三四五六七八九十]是|[（(][一二三四五六七八九十\d][)）]|[①②③④⑤⑥⑦⑧⑨]")
_ORG = re.compile(r"[\u4e00-\u9fa5]{2,20}?(?:事务所|律师所|中心|大学|学院|委员会|办公室|局|处|科|院|所|站|队|会|公司)")
# a title followed by a two- or three-character name: 局长刘志辉, 副组长徐冬先
_ROLE_NAME = re.compile(
    r"(?:局长|副局长|书记|主任|组长|副组长|秘书长|部长|厅长|处长|科长|队长|团长|院长|主席|律师|讲师)"
    r"([\u4e00-\u9fa5]{2,3})(?=[,，、和及与。；;（(\s]|同志|$)"  # ("主任王栩冬同志以…")
)


def numbers_in(text: str) -> list[tuple[str, str, int, int]]:
    """(number, unit, start, end) of each number in text, Arabic or Chinese numerals (三步, 五站, 四年, 两人).

    A year (2020年) is a date, not a count; a number with no unit counts only when it has decimals (99.99).
    """
    out = []
    for m in _NUM.finditer(text):
        unit = m.group(2) or ""
        if unit == "年" and _YEAR_NUMBER.fullmatch(m.group(1)):
            continue
        out.append((m.group(1), unit, m.start(), m.end()))
    quoted = [(m.start(), m.end()) for m in re.finditer(r"“[^”]*”|《[^》]*》|\"[^\"]*\"", text)]
    seen = set()
    for m in _CN_NUM.finditer(text):
        if any(a <= m.start() < b for a, b in quoted):
            continue  # “三项制度” is a name, not a count
        out.append((m.group(1), m.group(2), m.start(), m.end()))
        seen.add(m.start())
    for value, unit, a, b in counted_numerals(text):
        if a not in seen and not any(qa <= a < qb for qa, qb in quoted):
            out.append((value, unit, a, b))
    return out


def unit_ok(unit: str, asked: str | None) -> bool:
    """Whether a number's unit answers a question asking for `asked` (件 accepts 宗 and 件次)."""
    if not asked:
        return bool(unit)
    u = unit.removeprefix("余").removeprefix("多").removeprefix("万") or unit
    return any(asked in g and (u in g or unit in g) for g in _UNIT_GROUPS) or u == asked


# a document named without 《》 right after the verb that makes it: "率先起草新区和谐劳动关系企业评定管理办法"
_MAKES = r"(?:起草|制定|制订|出台|印发|发布|编印|编制|修订)"
"""The verbs that make a document: they introduce its name."""
_UNMARKED_TITLE = re.compile(
    rf"{_MAKES}(?:了)?[\u4e00-\u9fa5]{{4,30}}?"
    r"(?:办法|意见|规定|细则|方案|条例|规则|指引|规范|规程|制度|机制)(?![\u4e00-\u9fa5]{0,2}[的])"
)


def title_verb(query: Query) -> str | None:
    """For "which document" questions, how the report introduces the document the question asks for."""
    if re.search(r"按|根据|依据|依照|遵照", query.asked):
        return r"(?:根据|按照|依据|依照|遵照)[^。；]{0,20}《"
    if re.search(r"出|制定|制订|发|印发|出台|编", query.asked):
        return rf"{_MAKES}[^。；，,]{{0,6}}《"
    return None


def type_ok(query: Query, sent: str, q_numbers: set[str]) -> bool:
    """Whether a (normalized) sentence holds the kind of fact the question asks for."""
    qt = query.qtype
    contact = _CONTACT_ASKED.search(query.asked)
    if contact:  # "联系电话是多少": a telephone number (or a postcode), not a count
        return bool((_POSTCODE if contact.group(0) in ("邮编", "邮政编码") else _PHONE).search(sent))
    if qt in ("count", "percent", "amount"):
        return _has_number(query, sent, q_numbers)
    if qt == "when":
        return bool(_DATE.search(sent))
    if qt == "name" and re.search(r"文号|字号", query.asked):
        return bool(_DOC_NUMBER.search(sent))  # "临政发〔2020〕21号"
    if qt == "name":
        return bool(re.search(r"《[^》]{2,60}》|“[^”]{2,30}”|\"[^\"]{2,30}\"", sent) or _UNMARKED_TITLE.search(sent))
    if qt == "rank":
        return bool(
            re.search(
                r"第[一二三四五六七八九十\d]+|前[一二三四五六七八九十\d]+名|名列|居.{0,4}(首|前)|首[批届位家个]", sent
            )
        )
    if qt == "who":
        person = bool(
            re.search(r"谁|(局长|组长|主任|书记|负责人|领导|讲师|专家|律师).{0,4}(叫什么|名字|姓名)", query.asked)
            or re.search(r"哪些(领导|人|同志|专家)|哪位", query.asked)
        )
        kind = _ASKED_KIND.search(query.asked)
        if kind and not person:
            return has_named(sent, kind.group(1))
        if person and re.search(r"组长|主任|第一责任人", query.asked) and _POST_AS_HEAD.search(sent):
            return True  # "以局党委书记、局长为组长": the post that heads it is the answer
        return has_name(sent, person_only=person)
    if qt == "list":
        return (
            bool(_ENUM.search(sent))
            or sent.count("、") >= 2
            or "；" in sent
            or ";" in sent
            or len(re.findall(r"[—+＋/]", sent)) >= 2
        )
    return True


def _restated_unit(query: Query, found: list[tuple[str, str, int, int]]) -> str | None:
    """The report's own measure word for the things a question counts with the generic 个: "那27个仲裁员里，律师
    占了几个" restates the report's "27名仲裁员", so the answer counts people (名), not cases (件)."""
    if query.unit != "个":
        return None
    stated = _counted_in_ge(query.asked)
    return next((u for n, u, _a, _b in found if n in stated and u and u != "个"), None)


@functools.lru_cache(maxsize=1024)
def _counted_in_ge(asked: str) -> frozenset[str]:
    """The numbers a question states in 个 (read once a question, not once a candidate sentence)."""
    return frozenset(n for n, u, _a, _b in numbers_in(normalize(asked)) if u == "个")


def _has_number(query: Query, sent: str, q_numbers: set[str]) -> bool:
    """A number of the asked kind that the question does not state itself."""
    qt = query.qtype
    dates = [(m.start(), m.end()) for m in _DATE.finditer(sent)] if qt == "count" else []
    found = numbers_in(sent)
    asked = _restated_unit(query, found) or query.unit
    for num, unit, a, b in found:
        if num in q_numbers or any(da <= a < db for da, db in dates):
            continue  # (a day of a date, "9月23日", is a date, not a count of days)
        if _PARTS_AFTER.match(sent, b) and not _PARTS_ASKED.search(query.asked):
            continue  # "…等6个部分组成": the parts of the report itself, not a count of anything it did
        every = _EVERY.search(sent, max(0, a - 3), a)
        if every and every.group(0).strip() not in query.asked:
            continue  # "每一件", "每月5日": a frequency or a rule, not how many there were (unless asked: 每年花多少)
        if not sent[a].isdigit() and (not query.unit or unit.lstrip("余多") != query.unit):
            continue  # a count in words ("两个窗口", "六个部分") is prose; it answers only a question asking that unit
        bare = unit.removeprefix("余").removeprefix("多")  # ("300余万元": more than 300万元)
        if qt == "percent" and bare == "%":
            return True
        if qt == "amount" and bare in ("万元", "亿元", "元", "万"):
            return True
        if qt in ("amount", "count") and bare == "%" and _CHANGE_ASKED.search(query.asked):
            return True  # "收入增长了多少": a rise is given as a percentage as often as an amount
        if qt == "count" and unit and (unit_ok(unit, asked) if asked else True):
            return True
        if qt == "count" and not unit and not query.unit and "." in num:
            return True  # a score or an index with no unit ("平均分99.99")
    return False


# the kind of body a question asks the name of ("哪家律师事务所", "请的律所是哪家"): bodies with names of their own
_KINDS = {
    "律师事务所": "事务所",
    "事务所": "事务所",
    "律所": "事务所",
    "公司": "公司",
    "大学": "大学",
    "学院": "学院",
    "医院": "医院",
    "银行": "银行",
    "协会": "协会",
}
_ASKED_KIND = re.compile(rf"({'|'.join(sorted(_KINDS, key=len, reverse=True))})")
# the words that end a name's run to the left ("聘请了|广东岭南律师事务所", "从|律师事务所"): not a name's part
_NOT_NAME = ("p", "u", "c", "m", "q", "r", "d", "x", "w")


# a post named as the head of a group: "由局党委书记、局长担任组长", "以镇长为第一责任人"
_POST_AS_HEAD = re.compile(
    r"(?:书记|局长|主任|镇长|乡长|区长|县长|市长|省长|厅长|主要负责人|主要领导|负责同志)[^，。；;]{0,8}?(?:为|任|担任)[^，。；;]{0,3}"
    r"(?:组长|主任|第一责任人)"
)
# a document's number: 临政发〔2020〕21号, 武政办[2011]155号, 海人社发〔2017〕9 号
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fa5]{1,10}\s*[〔\[［(（【]\s*(?:19|20)\d{2}\s*[〕\]］)）】]\s*\d+\s*号")
_BODY_END = frozenset("局厅委办院署队会处科所站")


def has_named(sent: str, kind: str) -> bool:
    """A body of that kind with its own name before it ("广东岭南律师事务所"), not the kind alone ("从律师事务所中",
    "聘请2家律师事务所"): a question asking which one is answered only by a name."""
    import jieba.posseg as pseg

    suffix = _KINDS[kind]
    for m in re.finditer(re.escape(suffix), sent):
        head = sent[: m.start()].removesuffix("律师").removesuffix("有限").removesuffix("股份")
        name = ""
        for w in reversed(pseg.lcut(head)):
            numeral_name = w.flag == "m" and not re.search(r"[\d家个所名多几]", w.word)  # 六和, not 2家 or 两家
            if (w.flag.startswith(_NOT_NAME) and not numeral_name) or not re.fullmatch(r"[\u4e00-\u9fa5]+", w.word):
                break
            name = w.word + name
        if len(name) >= 2 or _place_led(head[-8:]):
            return True
    return False


def _place_led(before: str) -> bool:
    """A place name just before a body's kind: the head of its own name ("浙江六和律师事务所", where jieba cuts
    六 as a numeral and 和 as a conjunction)."""
    places = _big_places()
    return any(before[i:j] in places for i in range(len(before)) for j in range(i + 2, min(len(before), i + 8) + 1))


@functools.cache
def _big_places() -> frozenset[str]:
    """Provinces' and cities' names and short names (浙江, 广州), which lead the names of firms."""
    from bot.text.gazetteer import Gazetteer

    divs = [d for d in Gazetteer.default().divisions if d.level in ("province", "city")]
    return frozenset(n for d in divs for n in (d.name, d.short) if len(n) >= 2)


def has_name(sent: str, person_only: bool = False) -> bool:
    """A person's name (jieba 'nr'), or unless only a person will do, an organisation's name."""
    import jieba.posseg as pseg

    # (a word jieba tags as a name but ending like a body, "仲裁委", "信访办", is that body's short name)
    people = [
        p.word for p in pseg.cut(sent) if p.flag == "nr" and 2 <= len(p.word) <= 3 and p.word[-1] not in _BODY_END
    ]
    if people or any(_looks_like_name(m.group(1)) for m in _ROLE_NAME.finditer(sent)):
        return True
    if person_only:
        return False
    return bool(_ORG.search(sent) and re.search(r"事务所|大学|公司|中心|委员会|办公室|[局处科院所]", sent))


def _looks_like_name(s: str) -> bool:
    """A person's name, not a word: jieba tags it as a name or knows no word in it ("接待日" is no name)."""
    import jieba.posseg as pseg

    parts = pseg.lcut(s)
    return any(p.flag == "nr" for p in parts) or all(len(p.word) == 1 for p in parts)
