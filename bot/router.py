"""Place names for the eligibility check, derived from the gazetteer (data/lexicons/divisions.csv).

What a question asks is decided in ``bot.analysis``; this module only keeps the names eligibility reads.
"""

from __future__ import annotations

from bot.gazetteer import gazetteer


def _names() -> tuple[list[str], dict[str, list[str]]]:
    divisions = gazetteer().divisions
    provinces = [d.short for d in divisions if d.level == "province"]
    cities = [d.short for d in divisions if d.level == "prefecture" and len(d.short) >= 2]
    within: dict[str, list[str]] = {}
    for division in divisions:
        if division.level == "province":
            within.setdefault(division.short, []).append(division.short)
        elif division.level == "prefecture" or division.name.endswith("市"):
            province = next((d.short for d in divisions if d.name == division.province), None)
            if province and len(division.short) >= 2:
                within.setdefault(province, []).append(division.short)
    return provinces + cities, within


# Places outside a province's documents (every province and prefecture-level city), and what lies in each province.
PROVINCES, WITHIN = _names()
