"""The level of government each indexed document speaks for, and which documents cover a place.

A document's jurisdiction is read at ingest from its title or issuer ("浙江省…", "温州市…"); a document of
the State Council or a ministry names no place and is national. The gazetteer says what lies in what, so a
江苏省 document covers 苏州 and a national one covers everywhere.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.gazetteer import Division, gazetteer, stem
from ingest.models import Document

NATIONAL = "national"
NATIONWIDE = "全国"  # the jurisdiction ingest gives a State Council's or a ministry's document
# Who speaks for the whole country: 国务院, 中共中央, 国家…局, a ministry (…部) with no place before it.
_NATIONAL_ISSUER_RE = re.compile(r"^(国务院|中共中央|全国|国家|[\u4e00-\u9fff]{2,10}?部(?![门分])|工信部|发改委)")
_LEVEL_OF_SUFFIX = (("自治区", "province"), ("省", "province"), ("州", "prefecture"), ("盟", "prefecture"), ("市", "prefecture"), ("县", "county"), ("区", "county"))


@lru_cache(maxsize=4096)
def place_level(place: str) -> str:
    """national | province | prefecture | county for a jurisdiction string, from the gazetteer or its suffix (示例市)."""
    if place == NATIONWIDE:
        return NATIONAL
    division = gazetteer().resolve(place)
    if division is not None and division.name == place:
        return division.level
    for suffix, level in _LEVEL_OF_SUFFIX:
        if place.endswith(suffix):
            return level
    return division.level if division else "county"


def document_level(document: Document) -> str | None:
    """national | province | prefecture | county, or None when the document says nothing of its level."""
    if document.jurisdiction == NATIONWIDE:
        return NATIONAL
    if document.jurisdiction:
        return place_level(document.jurisdiction)
    for text in (document.title, document.issuer or ""):
        if text and _NATIONAL_ISSUER_RE.match(text):
            return NATIONAL
    return None


def covers(jurisdiction: str, place: Division | str) -> bool:
    """Whether a document of ``jurisdiction`` applies in ``place`` (a division, or an indexed jurisdiction)."""
    name = place.name if isinstance(place, Division) else place
    if jurisdiction == NATIONWIDE:
        return False  # national documents apply everywhere; a place named is not a reason to prefer them
    if jurisdiction == name or stem(jurisdiction) == stem(name):
        return True
    outer = gazetteer().resolve(jurisdiction)
    if outer is None or outer.name != jurisdiction:
        return False  # a place the gazetteer does not know (示例市) covers only itself
    inner = place if isinstance(place, Division) else gazetteer().resolve(place)
    return inner is not None and inner.within(outer)
