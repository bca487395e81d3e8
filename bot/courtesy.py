"""A question without the courtesy around it: "您好，请问X？谢谢" is read as "X".

Greetings, polite requests and thanks (``data/lexicons/courtesy.toml``) ask nothing. Read without
them, every wrapping of one question is one text to the answerer: the same answer, and one
answer-cache entry instead of one per wrapping. A question that is nothing but courtesy ("谢谢！")
is kept as it was.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from core.errors import PolicyBotError
from core.settings import REPO_ROOT

LEXICON_PATH = REPO_ROOT / "data" / "lexicons" / "courtesy.toml"
# What may stand between courtesy and the question: punctuation people type, spaces, an emoji-like tilde.
_SEPARATORS = r"[\s,，:：;；、.。!！~～]*"
_CLOSING = r"[\s,，.。!！?？~～]*"
_HAS_CONTENT = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Control, zero-width and bidi marks: nobody reads them, and they would make one question two.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def _phrases(value: object, name: str, path: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(p, str) and p.strip() for p in value):
        raise PolicyBotError(f"{path}: '{name}' must be a non-empty list of phrases")
    phrases = [" ".join(p.split()) for p in value]
    patterns = [p for p in phrases if re.search(r"[\\^$*+?{}\[\]|()]", p)]
    if patterns:
        raise PolicyBotError(f"{path}: '{name}' holds plain phrases, not patterns: {patterns[0]!r}")
    return tuple(sorted(set(phrases), key=len, reverse=True))  # longest first: 请问一下 before 请问


def _alternation(phrases: tuple[str, ...]) -> str:
    """Latin phrases as whole words (``hi`` is not the start of ``history``), spaces as any run of spaces."""
    parts = []
    for phrase in phrases:
        body = r"\s+".join(map(re.escape, phrase.split(" ")))
        parts.append(rf"{body}(?![A-Za-z])" if re.search(r"[A-Za-z]$", phrase) else body)
    return "|".join(parts)


@lru_cache(maxsize=1)
def courtesy_patterns(path: Path = LEXICON_PATH) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(opening, closing): the courtesy a question may start and end with; the lexicon is checked once."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyBotError(f"cannot read the courtesy lexicon {path}: {exc}") from None
    openers = _alternation(_phrases(data.get("openers"), "openers", path))
    closers = _alternation(_phrases(data.get("closers"), "closers", path))
    opening = re.compile(rf"^(?:(?:{openers}){_SEPARATORS})+", re.I)
    closing = re.compile(rf"(?:{_CLOSING}(?:{closers}))*{_CLOSING}$", re.I)
    return opening, closing


def without_invisible(text: str) -> str:
    """``text`` without control and invisible characters and without surrounding whitespace."""
    return _INVISIBLE.sub("", text).strip()


def without_courtesy(question: str) -> str:
    """``question`` without opening and closing courtesy; unchanged if it has none, or if nothing else is left.

    Closing punctuation around a closing courtesy becomes one question mark if it held one ("X?谢谢" →
    "X？", full width in Chinese), none otherwise ("X，麻烦告知" → "X"). A question without courtesy is
    not touched: "X" and "X？" stay two texts, as they are to the answerer's search.
    """
    opening, closing = courtesy_patterns()
    start = opening.match(question)
    rest = question[start.end():] if start else question
    end = closing.search(rest)
    said_courtesy = bool(start) or bool(end and _HAS_CONTENT.search(end.group()))
    if not said_courtesy:
        return question
    core = rest[: end.start()].strip() if end else rest.strip()
    if not _HAS_CONTENT.search(core):
        return question
    if end and re.search(r"[?？]", end.group()):
        core += "？" if _CJK.search(core) else "?"
    return core
