"""What kind of fact a question asks for (`classify`: a count, a percentage, a name…, with the measure word a
count asks in), and whether it compares reports or asks across them (`COMPARE`, `SURVEY`)."""

from __future__ import annotations

import re

from bot.query.model import QType
from bot.text.analysis import normalize, word_at
from bot.text.numerals import MEASURES

COMPARE = re.compile(
    r"比较|对比|相比|哪个多|哪个少|哪家|谁.*[多少]|哪.*[多少高低]|哪边|更多|更少|更高|更低|分别|各有|各是|各[自个]|都"
)
_LIST = re.compile(
    r"哪些|哪几|有什么|有啥|包括|包含|列举|几个方面|几条|哪五|哪三|哪四|哪两|都有|都公开|干什么|做哪|哪几件"
)
# ("这几份报告", "那几个区" point at things: no count is asked)
_COUNT = re.compile(
    r"多少|(?<![这那])几\s*个?\s*(?:" + "|".join(map(re.escape, MEASURES)) + r")|几$|几？|数量|总数|一共|共计|合计"
)
# the numbers themselves asked for ("有啥数字", "哪些数据"): a count, not a list of things
_NUMBERS_ASKED = re.compile(r"(?:什么|啥|哪些|具体)(?:数字|数据)")
_PERCENT = re.compile(r"比例|比率|百分|占比|率|%|多高")
# (the last alternative: what 多少 counts is money, with no measure word between)
_AMOUNT = re.compile(
    r"多少钱|金额|资金|经费|预算|万元|收入|支出|[0-9]元"
    r"|多少(?![个家名人位件项次户宗起])[\u4e00-\u9fa5]{0,2}?(?:钱|工资|薪|款|费用?|补贴|补助|奖金|罚金)"
)
_WHO = re.compile(r"谁|哪位|什么人|名字|叫什么|姓名|哪家|哪个单位|什么单位|哪个部门|什么部门|哪个科|哪个处|律所|事务所")
_WHEN = re.compile(r"什么时候|何时|哪天|哪一天|哪年|哪一年|日期|几月|几号|时间")
_NAME = re.compile(
    r"(哪个|哪部|哪份|什么|哪一?项)(文件|制度|办法|规定|通知|意见|方案|细则|手册|条例|规章|规范性文件|名字|名称|平台|系统|机制|模式|品牌|活动|主题)"
    r"|叫什么|名字|名称|哪部|主题|文号|字号"
)
_RANK = re.compile(r"第几|排名|排第|名次")
_HOW = re.compile(r"怎么|如何|怎样|为啥|为什么|原因|干嘛|干什么用|做法|措施|办法是")
_PEOPLE = re.compile(r"(哪些|哪几位|哪位)(领导|人|同志|专家|人员)")
_YESNO = re.compile(r"是否|有没有|是不是|能不能|会不会|吗[？?]*$|没有[？?]*$")
# a question across the reports themselves, no report named: "哪个区…最多", "各局分别…", "这几份报告里哪份…"
SURVEY = re.compile(
    r"哪(?:一|几)?(?:个|份|家)?(?:区|县|市|局|单位|地方|报告)"
    r"|哪家(?=的|[最更多少高低]|[？?]|$)"
    r"|各(?:个|家|份)?(?:区|县|市|局|单位|地方?|报告)"
    r"|(?:这|那)?(?:几|些|两|三|四|五|所有|全部|每一?)(?:个|份|家)?(?:报告|区|局|单位)(?:里|中|之间|当中)"
    r"|(?:这|那)(?:几|些|两|三|四|五)(?:个|份|家)(?:里头|里面|里|中|当中|之间)"  # "这几份里头"
)
# the measure word a count asks for ("多少张", "几个工作日"): any of bot.text.numerals.MEASURES, the longest first
_MEASURE_ALT = "|".join(map(re.escape, MEASURES))
_UNIT = re.compile(
    rf"(?<![这那])几\s*个?\s*({_MEASURE_ALT})|多少\s*个?\s*({_MEASURE_ALT}|万)|(?:(?<![这那])几|多少)\s*(个)"
)


def classify(q: str) -> tuple[QType, str | None]:
    qn = normalize(q)
    unit = None
    m = _UNIT.search(qn)
    if m:
        unit = m.group(1) or m.group(2) or m.group(3)
        at = next(i for i in (1, 2, 3) if m.group(i))
        if word_at(qn, m.start(at)) not in (unit, None):
            unit = None  # "多少人大建议": 人 begins the word 人大, it is no measure word
    if _WHEN.search(qn) and not _COUNT.search(qn):
        return "when", unit
    if _RANK.search(qn):
        return "rank", unit
    if re.search(r"(局长|组长|主任|书记|负责人|领导|讲师|专家|律师).{0,4}(叫什么|是谁|名字|姓名)|谁", qn):
        return "who", unit
    if _PEOPLE.search(qn):
        return "who", unit
    if _PERCENT.search(qn) and not re.search(r"率[先领]", qn):
        return "percent", unit
    if _AMOUNT.search(qn) and _COUNT.search(qn) and unit in (None, "元", "万元", "亿元", "万"):
        return "amount", unit  # ("预决算信息占几条" counts items: its measure word says what is counted)
    if re.search(r"哪些|哪几|哪[两三四五六七八九十\d]", qn) and not _NUMBERS_ASKED.search(qn):
        return "list", unit
    if _COUNT.search(qn) or _NUMBERS_ASKED.search(qn):
        return "count", unit
    if re.search(r"吗[？?]*$", qn) and not re.search(r"什么|啥|哪", qn):
        return "yesno", unit  # a closing 吗 asks yes or no ("两个区都有…吗"), whatever else the words suggest
    if _LIST.search(qn):
        return "list", unit
    if _NAME.search(qn):
        return "name", unit
    if _WHO.search(qn):
        return "who", unit
    if _HOW.search(qn):
        return "how", unit
    if _YESNO.search(qn):
        return "yesno", unit
    return "fact", unit
