"""Seeded synthetic corpora for the scale benchmarks: the 5 samples plus reports recombined from their sections.

A synthetic report takes a title line naming a new issuer, region and year, a short introduction, then
"一、<achievements>" with 10–16 second-level sections drawn from the samples' achievement sections (renumbered),
"二、<problems>" and "三、<plans>" drawn from the samples' problem and plan sections. Inside the copied text,
the source sample's place names become the new ones, years move with the new report's year, and every
other number of two or more digits is perturbed; so a synthetic report reads like another office's
report of the same kind, with different facts. Sentences that hold a gold evidence quote
(eval/gold/gold.jsonl) are left out of the copies, so each gold answer still has exactly one right report:
a question that names no report ("《我的初心和使命》那场报告是谁讲的？") cannot be answered just as well from
a copy, and the benchmark measures whether retrieval finds the needle, not which of two twins it picks.

The new regions are real district or city names that none of the samples uses (some share a city with a
sample: 广州市天河区 next to 广州市白云区, 武汉市江汉区 next to 武汉市 itself). Corpora are nested: the
synthetic reports of the 100-report corpus are the first 95 of the 1,000-report corpus, with the same seed.

Usage: python bench/corpus.py N [--out DIR] [--seed S]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SAMPLES = ROOT / "data" / "reports"
GOLD = ROOT / "eval" / "gold" / "gold.jsonl"

# (province, city, district or None). Real names, none of them a sample's district; stems are 2 characters.
REGIONS: list[tuple[str | None, str, str | None]] = [
    *(
        ("广东省", "广州市", d)
        for d in ("天河区", "越秀区", "荔湾区", "番禺区", "花都区", "南沙区", "黄埔区", "从化区", "增城区")
    ),
    *(
        (None, "上海市", d)
        for d in (
            "徐汇区",
            "长宁区",
            "静安区",
            "普陀区",
            "虹口区",
            "杨浦区",
            "闵行区",
            "宝山区",
            "松江区",
            "青浦区",
            "奉贤区",
            "崇明区",
            "金山区",
        )
    ),
    *(
        ("湖北省", "武汉市", d)
        for d in ("江岸区", "江汉区", "硚口区", "汉阳区", "武昌区", "洪山区", "蔡甸区", "江夏区", "黄陂区", "新洲区")
    ),
    *(
        (None, "重庆市", d)
        for d in ("渝中区", "南岸区", "北碚区", "渝北区", "巴南区", "万州区", "涪陵区", "永川区", "合川区")
    ),
    *(
        ("广东省", "深圳市", d)
        for d in ("福田区", "罗湖区", "南山区", "宝安区", "龙岗区", "盐田区", "龙华区", "光明区")
    ),
    *(
        ("四川省", "成都市", d)
        for d in ("锦江区", "青羊区", "金牛区", "武侯区", "成华区", "温江区", "双流区", "郫都区")
    ),
    *(
        ("浙江省", "杭州市", d)
        for d in ("上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区", "富阳区", "临安区")
    ),
    *(
        ("江苏省", "南京市", d)
        for d in ("玄武区", "秦淮区", "建邺区", "栖霞区", "江宁区", "浦口区", "六合区", "溧水区", "高淳区")
    ),
    *(
        ("陕西省", "西安市", d)
        for d in ("碑林区", "莲湖区", "雁塔区", "未央区", "灞桥区", "临潼区", "阎良区", "鄠邑区")
    ),
    *(("湖南省", "长沙市", d) for d in ("芙蓉区", "天心区", "岳麓区", "开福区", "雨花区", "望城区")),
    *(
        (None, "天津市", d)
        for d in ("和平区", "河东区", "南开区", "红桥区", "东丽区", "西青区", "津南区", "北辰区", "武清区", "宝坻区")
    ),
    *(
        (None, "北京市", d)
        for d in (
            "东城区",
            "西城区",
            "海淀区",
            "丰台区",
            "通州区",
            "顺义区",
            "昌平区",
            "大兴区",
            "怀柔区",
            "平谷区",
            "密云区",
            "延庆区",
        )
    ),
    *(("江苏省", "苏州市", d) for d in ("姑苏区", "虎丘区", "吴中区", "相城区", "吴江区")),
    *(("山东省", "青岛市", d) for d in ("市南区", "市北区", "李沧区", "崂山区", "城阳区", "即墨区")),
    *(("福建省", "厦门市", d) for d in ("思明区", "湖里区", "集美区", "海沧区", "同安区", "翔安区")),
    *(
        (p, c, None)
        for p, c in (
            ("浙江省", "宁波市"),
            ("广东省", "佛山市"),
            ("广东省", "东莞市"),
            ("江苏省", "无锡市"),
            ("山东省", "济南市"),
            ("河南省", "郑州市"),
            ("安徽省", "合肥市"),
            ("福建省", "福州市"),
            ("江西省", "南昌市"),
            ("辽宁省", "沈阳市"),
            ("吉林省", "长春市"),
            ("云南省", "昆明市"),
        )
    ),
]
ORGS = ["人力资源和社会保障局"] * 6 + ["人力资源和社会保障局劳动保障监察支队", "司法局", "劳动人事争议仲裁院"]
YEARS = list(range(2015, 2025))
TITLE_KINDS = ["法治政府建设年度报告", "法治政府建设情况报告", "依法行政工作报告", "法治政府建设工作报告"]
ACHIEVE = ["本年度主要举措和成效", "主要做法和成效", "{y}年推进法治政府建设的主要举措和成效", "主要措施及成效"]
PROBLEMS = ["存在的问题", "存在的不足和原因", "存在的主要问题"]
PLANS = ["下一步工作安排", "下一步工作思路", "{y1}年推进法治政府建设的主要安排"]
INTROS = [
    "{y}年，{org}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实党中央、国务院关于法治政府建设的决策部署，"
    "紧紧围绕中心工作，扎实推进依法行政各项任务。现将有关情况报告如下：",
    "{y}年，在{city}委、{city}政府的正确领导下，我局坚持依法行政，深化改革，加强监督，法治政府建设各项工作取得新进展。"
    "具体情况如下：",
    "根据{place}全面依法治区工作要点和我局职责，{org}有序推进{y}年法治政府建设各项工作，现将有关情况汇报如下：",
]
CN_NUM = "一二三四五六七八九十"

# Each sample's own place names (longest first when substituted) and the year its report covers.
SAMPLE_PLACES: dict[str, dict[str, list[str]]] = {
    "000": {"province": ["广东省", "广东"], "city": ["广州市", "广州"], "district": ["白云区", "白云"]},
    "001": {"province": [], "city": ["上海市", "上海"], "district": ["嘉定区", "嘉定"]},
    "002": {"province": ["湖北省", "湖北"], "city": ["武汉市", "武汉"], "district": []},
    "003": {"province": [], "city": ["重庆市", "重庆"], "district": ["两江新区", "两江"]},
    "004": {"province": ["广东省", "广东"], "city": ["广州市", "广州"], "district": ["海珠区", "海珠"]},
}
SAMPLE_YEAR = {"000": 2020, "001": 2023, "002": 2016, "003": 2020, "004": 2017}

_LEAD_NUMBER = re.compile(r"^\s*[(（][一二三四五六七八九十]+[)）]")
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
_PROBLEM = re.compile(r"问题|不足")
_PLAN = re.compile(r"下一步|下步|打算|安排|建议|思路|计划")


@dataclass(frozen=True)
class Piece:
    """A section of a sample: which sample, its text (heading line included for second-level pieces)."""

    sample: str
    text: str


@dataclass
class Pools:
    achievements: list[Piece]
    problems: list[Piece]
    plans: list[Piece]


def _evidence_spans() -> dict[str, list[tuple[int, int]]]:
    """Every gold evidence quote's [start, end) in its sample file."""
    from eval.gold import ReportTexts, gold_spans, load_gold

    texts = ReportTexts(SAMPLES)
    out: dict[str, list[tuple[int, int]]] = {}
    for item in load_gold(GOLD, SAMPLES):
        for span in gold_spans(item, texts):
            out.setdefault(span.source, []).append((span.start, span.end))
    return out


def _without_evidence(text: str, evidence: list[tuple[int, int]]) -> str:
    """`text` with every sentence that overlaps a gold evidence span blanked out by NULs (offsets kept)."""
    from bot.text.analysis import sentence_spans

    chars = list(text)
    for a, b in sentence_spans(text):
        if any(max(a, s) < min(b, e) for s, e in evidence):
            chars[a:b] = ["\0"] * (b - a)
    return "".join(chars)


def _clean(segment: str) -> str:
    """A copied section without its blanked sentences, Markdown bold marks and runs of empty lines."""
    return re.sub(r"\n\s*\n\s*\n", "\n\n", segment.replace("\0", "").replace("**", ""))


def sample_pools() -> Pools:
    """The samples' sections sorted into achievements (second level), problems and plans (bodies)."""
    from ingest.load import load_report
    from ingest.parse import parse_text

    pools = Pools([], [], [])
    evidence = _evidence_spans()
    for f in sorted(SAMPLES.glob("*.txt")):
        raw = load_report(f)
        sections = parse_text(raw).section_dicts()
        text = _without_evidence(raw.text, evidence.get(f.name, []))
        tag = f.name[:3]
        for top in (s for s in sections if len(s["path"]) == 1):
            head = top["path"][0]
            seg = _clean(text[top["start"] : top["end"]])
            _, _, body = seg.partition("\n")
            if _PROBLEM.search(head) and not _PLAN.search(head):
                if len(body.strip()) > 40:
                    pools.problems.append(Piece(tag, body.strip()))
                continue
            if _PLAN.search(head) and not _PROBLEM.search(head):
                if len(body.strip()) > 40:
                    pools.plans.append(Piece(tag, body.strip()))
                continue
            for sub in (s for s in sections if len(s["path"]) == 2 and s["path"][0] == head):
                piece = _clean(text[sub["start"] : sub["end"]]).strip()
                if _LEAD_NUMBER.match(piece) and len(piece) > 80:
                    pools.achievements.append(Piece(tag, piece))
    return pools


class Rewriter:
    """Moves a sample's text to a new issuer: place names, years and the other numbers."""

    def __init__(self, rng: random.Random, region: tuple[str | None, str, str | None], year: int):
        self.rng = rng
        self.province, self.city, self.district = region
        self.year = year

    def _target(self, level: str, full: bool) -> str:
        if level == "district":
            name = self.district or self.city
        elif level == "city":
            name = self.city
        else:
            name = self.province or self.city
        return name if full else name[:2]

    def rewrite(self, piece: Piece) -> str:
        places = SAMPLE_PLACES[piece.sample]
        mapping: dict[str, str] = {}
        for level, names in places.items():
            for i, name in enumerate(names):
                mapping[name] = self._target(level, full=i == 0)
        text = piece.text
        if mapping:
            alt = re.compile("|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True)))
            text = alt.sub(lambda m: mapping[m.group(0)], text)
        delta = self.year - SAMPLE_YEAR[piece.sample]
        return _NUMBER.sub(lambda m: self._number(m, text, delta), text)

    def _number(self, m: re.Match[str], text: str, delta: int) -> str:
        s = m.group(0)
        if "." not in s and len(s) == 4 and 1990 <= int(s) <= 2030:
            return str(int(s) + delta)  # a year
        line_start = m.start() == 0 or text[m.start() - 1] == "\n"
        after = text[m.end() : m.end() + 1]
        if (line_start and after in ".、") or ("." not in s and len(s) == 1):
            return s  # heading numbers and small counts stay
        decimals = len(s.split(".")[1]) if "." in s else 0
        value = float(s) * self.rng.uniform(0.55, 1.45)
        if after == "%":
            value = min(value, 99.0)
        out = f"{value:.{decimals}f}" if decimals else str(max(round(value), 10))
        if out == s:  # never the source's own figure
            out = f"{float(s) + 0.01:.{decimals}f}" if decimals else str(int(s) + 1)
        return out


def _renumber(text: str, i: int) -> str:
    m = _LEAD_NUMBER.match(text)
    assert m, text[:20]
    full_width = "（" in m.group(0)
    num = CN_NUM[i] if i < 10 else "十" + CN_NUM[i - 10]
    return (f"（{num}）" if full_width else f"({num})") + text[m.end() :]


def synthetic_report(rng: random.Random, pools: Pools) -> tuple[str, str]:
    """(file stem hint, text) of one synthetic report."""
    region = rng.choice(REGIONS)
    year = rng.choice(YEARS)
    _, city, district = region
    org = rng.choice(ORGS)
    issuer = f"{city}{district or ''}{org}"
    title = f"{issuer}{year}年度{rng.choice(TITLE_KINDS)}"
    rw = Rewriter(rng, region, year)
    place = district or city
    parts = [
        title,
        "",
        rng.choice(INTROS).format(y=year, org=issuer, city=city[:2] if district is None else place[:2], place=place),
    ]
    parts.append("一、" + rng.choice(ACHIEVE).format(y=year))
    for i, piece in enumerate(rng.sample(pools.achievements, rng.randint(10, 16))):
        parts.append(_renumber(rw.rewrite(piece), i))
    parts.append("二、" + rng.choice(PROBLEMS))
    parts.append(rw.rewrite(rng.choice(pools.problems)))
    parts.append("三、" + rng.choice(PLANS).format(y1=year + 1))
    parts.append(rw.rewrite(rng.choice(pools.plans)))
    return f"{place}_{year}", "\n".join(parts) + "\n"


def make_corpus(n: int, out: Path, seed: int = 20261122) -> Path:
    """Write a corpus of n reports (the 5 samples + n-5 synthetic) into `out`, replacing what was there."""
    samples = sorted(SAMPLES.glob("*.txt"))
    if n < len(samples):
        raise ValueError(f"a corpus holds at least the {len(samples)} samples, got n={n}")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for f in samples:
        shutil.copyfile(f, out / f.name)
    pools = sample_pools()
    rng = random.Random(seed)
    for i in range(n - len(samples)):
        _, text = synthetic_report(rng, pools)
        digest = hashlib.sha1(text.encode()).hexdigest()[:12]
        (out / f"syn{i:04d}_{digest}.txt").write_text(text, encoding="utf-8")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--seed", type=int, default=20261122)
    args = ap.parse_args()
    out = make_corpus(args.n, args.out or ROOT / "bench" / "out" / f"corpus-{args.n}", args.seed)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
