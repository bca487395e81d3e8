"""Organisation names by grammar (data/lexicons/organisations.toml): [level or place] + core + suffix.

Only what this grammar accepts is ever stated as an agency, so a phrase shaped like "杭州市…" that ends in
no organisation suffix ("杭州市规划布局") is never one.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.errors import PolicyBotError
from bot.gazetteer import gazetteer

ORGANISATIONS_TOML = Path(__file__).resolve().parents[1] / "data" / "lexicons" / "organisations.toml"
_BARE_LEVELS = {"省", "市", "县", "区"}
# "设区市经信局", "各市", "县市区": a bare level word inside another word is not the start of a name.
_NOT_BEFORE_BARE_LEVEL = set("省市县区州设地乡镇各本全该")


@dataclass(frozen=True)
class Grammar:
    level_prefixes: tuple[str, ...]
    suffixes: tuple[str, ...]
    unprefixed_suffixes: tuple[str, ...]
    not_in_core: str
    not_names: frozenset[str]


@lru_cache(maxsize=1)
def grammar() -> Grammar:
    try:
        data = tomllib.loads(ORGANISATIONS_TOML.read_text(encoding="utf-8"))
        loaded = Grammar(
            tuple(data["level_prefixes"]),
            tuple(sorted(data["suffixes"], key=len, reverse=True)),
            tuple(sorted(data["unprefixed_suffixes"], key=len, reverse=True)),
            data["not_in_core"],
            frozenset(data["not_names"]),
        )
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyBotError(f"cannot read the organisation grammar {ORGANISATIONS_TOML}: {exc}") from None
    if not loaded.suffixes or not set(loaded.unprefixed_suffixes) <= set(loaded.suffixes):
        raise PolicyBotError(f"{ORGANISATIONS_TOML}: unprefixed_suffixes must be among suffixes")
    return loaded


@lru_cache(maxsize=64)
def _pattern(places: tuple[str, ...]) -> re.Pattern[str]:
    g = grammar()
    core = f"[^{re.escape(g.not_in_core)}A-Za-z0-9\\s]"
    suffix = "|".join(map(re.escape, g.suffixes))
    divisions = gazetteer().divisions
    named = {d.name for d in divisions if d.level != "county"} | {d.short for d in divisions if d.level == "province"}
    named |= {d.short for d in divisions if d.level == "prefecture" and len(d.short) >= 2}
    prefixes = sorted(named | set(places) | set(g.level_prefixes), key=len, reverse=True)
    prefix = "|".join(map(re.escape, prefixes))
    unprefixed = "|".join(map(re.escape, g.unprefixed_suffixes))
    return re.compile(
        rf"(?P<prefixed>(?P<prefix>{prefix})(?:{prefix})?{core}{{0,12}}?(?:{suffix}))"
        rf"|(?P<bare>(?<![\u4e00-\u9fff]){core}{{2,10}}?(?:{unprefixed}))"
    )


def find_organisations(text: str, places: tuple[str, ...] = ()) -> list[str]:
    """Organisation names in ``text``, in order, each once ("省经信厅", "温州市经济和信息化局", "财政部")."""
    g = grammar()
    found: list[str] = []
    for match in _pattern(tuple(sorted(places))).finditer(text):
        name = match.group(0)
        prefix = match.group("prefix")
        if prefix in _BARE_LEVELS and match.start() > 0 and text[match.start() - 1] in _NOT_BEFORE_BARE_LEVEL:
            continue
        body = name[len(prefix) :] if prefix else name
        if len(body) < 2 or name in g.level_prefixes or any(name.endswith(word) for word in g.not_names):
            continue
        if name not in found:
            found.append(name)
    return found


def is_organisation(name: str, places: tuple[str, ...] = ()) -> bool:
    """Whether all of ``name`` is one organisation's name by the grammar."""
    return find_organisations(name, places) == [name]
