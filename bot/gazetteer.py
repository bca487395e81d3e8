"""China's administrative divisions (data/lexicons/divisions.csv): which places a text names, and what lies in what.

The table holds every province, prefecture and county with its parents, so a 江苏省 document covers a
question about 苏州 and a question about 成都 is known to be about a place elsewhere — without a list of
cities in code. Documents may also name places the table does not know (fictional 示例市 in tests): the
indexed jurisdictions are matched alongside (see ``bot.analysis``).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.errors import PolicyBotError

DIVISIONS_CSV = Path(__file__).resolve().parents[1] / "data" / "lexicons" / "divisions.csv"
LEVELS = ("province", "prefecture", "county")
_SUFFIX_RE = re.compile(r"(特别行政区|自治区|自治州|地区|省|市|县|区|盟|旗)$")


@dataclass(frozen=True)
class Division:
    code: str
    name: str  # 杭州市
    short: str  # 杭州
    level: str  # province | prefecture | county
    province: str = ""  # the province's full name, for prefectures and counties
    prefecture: str = ""  # the prefecture's full name, for counties under one

    def within(self, outer: "Division") -> bool:
        """Whether this place is ``outer`` or lies inside it."""
        return self.code == outer.code or outer.name in (self.province, self.prefecture)


class Gazetteer:
    """Finds the divisions a text names: full names always, short names where they are unambiguous words."""

    def __init__(self, divisions: list[Division]) -> None:
        if not divisions:
            raise PolicyBotError("the gazetteer is empty")
        self.divisions = divisions
        self.by_name: dict[str, list[Division]] = {}
        for division in divisions:
            if division.level not in LEVELS:
                raise PolicyBotError(f"division {division.code} has an unknown level {division.level!r}")
            for name in self._names(division):
                self.by_name.setdefault(name, []).append(division)
        # A short form shared by a province or prefecture and a county (海南 省 / 海南区) is the larger place.
        for name, found in self.by_name.items():
            found.sort(key=lambda d: (d.name != name, LEVELS.index(d.level)))
        alternatives = sorted(self.by_name, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(n) for n in alternatives))

    @staticmethod
    def _names(division: Division) -> list[str]:
        names = [division.name]
        # The table gives a county its full name as short form unless people call it by the short one
        # (义乌市 → 义乌; not 合作市 → 合作): see scripts/build_divisions.py.
        if division.short != division.name and len(division.short) >= 2:
            names.append(division.short)
        # 城区, 郊区, 矿区: two-character district names are ordinary words.
        return [n for n in names if not (len(n) == 2 and n.endswith("区"))]

    def find(self, text: str) -> list[Division]:
        """Divisions named in ``text``, in order of mention, the larger place when a name is shared."""
        found: list[Division] = []
        for match in self._pattern.finditer(text):
            division = self.by_name[match.group(0)][0]
            if division not in found:
                found.append(division)
        return found

    def resolve(self, name: str) -> Division | None:
        """The division a jurisdiction string names ("浙江省", "杭州", "杭州市西湖区" → 西湖区)."""
        if not name:
            return None
        exact = self.by_name.get(name)
        if exact:
            return exact[0]
        found = self.find(name)
        if not found:
            return None
        # "杭州市西湖区": the last, most specific, one that lies in the ones before it.
        best = found[0]
        for division in found[1:]:
            candidates = [d for d in self.by_name.get(division.name, [division]) if d.within(best)]
            if candidates:
                best = candidates[0]
        return best

    def contains(self, outer: str, inner: str) -> bool:
        """Whether the place named ``inner`` lies in (or is) the place named ``outer``."""
        big = self.resolve(outer)
        if big is None:
            return False
        return any(d.within(big) for d in self.by_name.get(inner, []) or ([self.resolve(inner)] if self.resolve(inner) else []))


def stem(place: str) -> str:
    """浙江省 → 浙江, 示例市 → 示例: how people name a place in a question."""
    return _SUFFIX_RE.sub("", place) or place


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The gazetteer, loaded and checked once."""
    try:
        with DIVISIONS_CSV.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    except OSError as exc:
        raise PolicyBotError(f"cannot read the administrative divisions {DIVISIONS_CSV}: {exc}") from None
    divisions = []
    for row in rows:
        if not re.fullmatch(r"\d{6}", row.get("adcode") or "") or not row.get("name"):
            raise PolicyBotError(f"{DIVISIONS_CSV}: bad row {row}")
        divisions.append(
            Division(row["adcode"], row["name"], row["short"] or row["name"], row["level"], row["province"], row["prefecture"])
        )
    return Gazetteer(divisions)
