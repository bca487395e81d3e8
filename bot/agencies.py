"""Agency names: the short forms documents use, the full names people type, and the English ones."""

from __future__ import annotations

import re
from functools import lru_cache

# canonical (as the plan writes it) → other names people use for the same agency
ALIASES: dict[str, list[str]] = {
    "省发展改革委": ["省发改委", "浙江省发展和改革委员会", "浙江省发改委", "省发展和改革委员会", "发改委", "发展改革委",
                   "provincial development and reform commission", "development and reform commission", "ndrc"],
    "省经信厅": ["省经济和信息化厅", "浙江省经济和信息化厅", "经信厅", "经济和信息化厅", "department of economy and information technology"],
    "省科技厅": ["省科学技术厅", "浙江省科学技术厅", "科技厅", "department of science and technology"],
    "省教育厅": ["浙江省教育厅", "教育厅", "department of education"],
    "省数据局": ["浙江省数据局", "数据局", "data bureau", "provincial data bureau"],
    "省卫生健康委": ["省卫健委", "浙江省卫生健康委员会", "省卫生健康委员会", "卫健委", "health commission"],
    "省药监局": ["省药品监督管理局", "浙江省药品监督管理局", "药监局", "medical products administration"],
    "省商务厅": ["浙江省商务厅", "商务厅", "department of commerce"],
    "省文化广电和旅游厅": ["省文旅厅", "浙江省文化广电和旅游厅", "文旅厅", "department of culture and tourism"],
    "省委网信办": ["省网信办", "网信办", "cyberspace administration"],
    "省市场监管局": ["省市场监督管理局", "浙江省市场监督管理局", "市场监管局", "administration for market regulation"],
    "省委宣传部": ["宣传部", "publicity department"],
    "省农业农村厅": ["浙江省农业农村厅", "农业农村厅", "department of agriculture"],
    "省交通运输厅": ["省交通厅", "浙江省交通运输厅", "交通运输厅", "交通厅", "department of transportation", "transport department"],
    "省建设厅": ["省住房和城乡建设厅", "浙江省住房和城乡建设厅", "住建厅", "建设厅", "department of housing"],
    "省公安厅": ["浙江省公安厅", "公安厅", "public security department"],
    "省海洋经济厅": ["浙江省海洋经济发展厅", "海洋经济厅", "省海洋经济发展厅", "ocean economy department"],
    "浙江海事局": ["海事局", "maritime safety administration"],
    "省委军民融合办": ["军民融合办"],
    "省自然资源厅": ["浙江省自然资源厅", "自然资源厅", "department of natural resources"],
    "省司法厅": ["浙江省司法厅", "司法厅", "department of justice"],
    "省委政法委": ["政法委"],
    "省纪委": ["纪委"],
    "省监委": ["监委"],
    "省法院": ["省高级人民法院", "浙江省高级人民法院", "高院", "high court"],
    "省能源局": ["浙江省能源局", "能源局", "energy administration", "energy bureau"],
    "省电力公司": ["国网浙江省电力公司", "国网浙江电力", "电力公司", "state grid"],
    "人行浙江省分行": ["人民银行浙江省分行", "人行浙江分行", "中国人民银行浙江省分行", "people's bank of china"],
    "金融监管总局浙江监管局": ["国家金融监督管理总局浙江监管局", "金融监管局", "浙江金融监管局"],
    "浙江证监局": ["中国证监会浙江监管局", "证监局"],
    "省委金融办（省地方金融局）": ["省委金融办", "省地方金融局", "地方金融局", "金融办"],
    "省金融控股公司": ["浙江省金融控股有限公司", "金控公司", "省金控"],
    "省统计局": ["浙江省统计局", "统计局", "statistics bureau"],
}


def canonical_agency(name: str) -> str:
    """The name the documents use for ``name`` (unchanged when it is not a known alias)."""
    for canonical, aliases in ALIASES.items():
        if name == canonical or name in aliases:
            return canonical
    return name


_LOCAL_SUFFIX = r"[\u4e00-\u9fff]{1,8}?(?:委员会|办公室|局|厅|委|办)"


@lru_cache(maxsize=64)
def _matcher(known: tuple[str, ...], jurisdictions: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    names: dict[str, str] = {}
    for canonical in set(known) | set(ALIASES):
        for name in [canonical, *ALIASES.get(canonical, [])]:
            names[name.lower()] = canonical
    alternatives = [
        re.escape(name) if re.search(r"[\u4e00-\u9fff]", name) else rf"\b{re.escape(name)}\b"
        for name in sorted(names, key=len, reverse=True)
    ]
    # Agencies of an indexed city or county ("示例市数据局") are named by their jurisdiction.
    local = [rf"{re.escape(j)}{_LOCAL_SUFFIX}" for j in jurisdictions if re.search(r"[市县区州]$", j)]
    # Any other provincial agency ("省财政厅"), tried last so known names and aliases win.
    generic = [rf"(?<![市县区州])省{_LOCAL_SUFFIX}"]
    return re.compile("|".join(local + alternatives + generic)), names


def find_agencies(text: str, known: list[str], jurisdictions: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Canonical agencies named in ``text``, by their document name, an alias or a local jurisdiction.

    A short alias inside a longer local name ("数据局" in "示例市数据局") is not the provincial agency.
    """
    pattern, names = _matcher(tuple(sorted(set(known))), tuple(sorted(jurisdictions)))
    ordered: list[str] = []
    for match in pattern.finditer(text.lower()):
        name = match.group(0)
        canonical = names.get(name, text[match.start() : match.end()])
        if name in names and name != canonical.lower() and match.start() > 0 and text[match.start() - 1] in "市县区州":
            continue
        if canonical not in ordered:
            ordered.append(canonical)
    return ordered
