"""China's administrative divisions as data: jionlp's `china_location` file read into `Division` records.

jionlp (Apache-2.0, https://github.com/dongrixinyu/JioNLP) ships every province, prefecture-level city and
county-level division with its official name, its common short name and its code. We read that data file
straight from the installed package's zip: importing jionlp itself would print a banner to stdout and load far
more than we need. Finding names in text is `bot.text.gazetteer`'s job; named areas are `bot.text.areas`'.
"""

from __future__ import annotations

import importlib.util
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Level = Literal["province", "city", "district"]
LEVELS: tuple[Level, ...] = ("province", "city", "district")

# level words a place name ends in, longest first where one ends another (综合保税区 before 区)
LEVEL_SUFFIXES = (
    "特别行政区",
    "综合保税区",
    "自治区",
    "自治州",
    "自治县",
    "综保区",
    "保税区",
    "高新区",
    "经开区",
    "开发区",
    "新区",
    "地区",
    "省",
    "市",
    "区",
    "县",
    "盟",
    "旗",
    "州",
)


@dataclass(frozen=True)
class Division:
    """One administrative division with its parents (province and city are filled for every level)."""

    name: str  # official name: 宝安区
    short: str  # common short name: 宝安 (may equal `name`)
    level: Level
    province: str
    city: str | None = None
    code: str = ""

    def region(self) -> dict[str, str | None]:
        """{province, city, district} of this division, the hierarchy filled in."""
        if self.level == "province":
            city = self.name if self.name.endswith("市") else None  # 上海市 is its own city
            return {"province": self.name, "city": city, "district": None}
        if self.level == "city":
            return {"province": self.province, "city": self.name, "district": None}
        return {"province": self.province, "city": self.city, "district": self.name}


@dataclass(frozen=True)
class PlaceMatch:
    """A place name found in a text: where, the words matched, and every division it may be."""

    start: int
    end: int
    text: str
    candidates: tuple[Division, ...]
    short: bool  # matched by its short name ("宝安"), not its official name

    @property
    def level(self) -> Level:
        return self.candidates[0].level


def _data_path() -> Path:
    """The zip of jionlp's gazetteer, located without importing jionlp (which prints to stdout)."""
    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("jionlp is not installed: pip install jionlp (its gazetteer of divisions is needed)")
    return Path(next(iter(spec.submodule_search_locations))) / "dictionary" / "china_location.zip"


def read_lines() -> list[str]:
    with zipfile.ZipFile(_data_path()) as z:
        name = next(n for n in z.namelist() if n.endswith("china_location.txt"))
        with z.open(name) as f:
            # (villages, four tabs deep, are not read)
            return [ln for ln in io.TextIOWrapper(f, encoding="utf-8") if not ln.startswith("\t\t\t\t")]


def parse_divisions(lines: Iterable[str]) -> list[Division]:
    """Divisions from jionlp's tab-indented file: province, city (one tab), county (two tabs); deeper skipped."""
    return parse_gazetteer(lines)[0]


def parse_gazetteer(lines: Iterable[str]) -> tuple[list[Division], list[tuple[str, Division]]]:
    """Divisions, and the towns and streets (three tabs: a name alone) each with its county."""
    out: list[Division] = []
    towns: list[tuple[str, Division]] = []
    province = city = ""
    county: Division | None = None
    for line in lines:
        depth = len(line) - len(line.lstrip("\t"))
        fields = line.strip().split("\t")
        if depth == 3 and len(fields) == 1 and county is not None and fields[0]:
            towns.append((fields[0], county))
            continue
        if depth > 2 or len(fields) != 3:
            continue
        name, code, short = fields
        short = short.split("/")[0] or name
        if depth == 0:
            province = name
            out.append(Division(name, short, "province", province, code=code))
        elif depth == 1:
            city = name
            out.append(Division(name, short, "city", province, city, code=code))
        else:
            county = Division(name, short, "district", province, city, code=code)
            out.append(county)
    return out, towns


def strip_level(name: str) -> str:
    """The name without its level word, keeping at least two characters: 白云区 → 白云, 东疆综保区 → 东疆."""
    for s in LEVEL_SUFFIXES:
        if name.endswith(s) and len(name) - len(s) >= 2:
            return name[: -len(s)]
    return name
