"""Word notions shared by question analysis, abstention and composition: the kinds of fact a question may ask
for (``data/lexicons/question_kinds.toml``) and the question's own content words.

Both analysis and abstention need these; kept here, below both, so neither imports the other to get them.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

import jieba

from bot.gazetteer import gazetteer
from core.errors import PolicyBotError
from vectorstore.text import GENERIC_TERMS, STOPWORDS

QUESTION_KINDS_TOML = Path(__file__).resolve().parents[1] / "data" / "lexicons" / "question_kinds.toml"
CJK_WORD_RE = re.compile(r"[\u4e00-\u9fff]+")  # English words are matched through the query expansion
# How one goes about something, not what it is about: these words match every procedure clause.
PROCEDURE_WORDS = frozenset(
    "办理 申请 申报 材料 需要 流程 手续 提交 登记 报名 办法 条件 时间 地点 哪里 多久 费用 步骤 补办 领取 咨询 窗口 网上 线上 线下".split()
)


@lru_cache(maxsize=1)
def question_kinds() -> tuple[tuple[str, re.Pattern[str]], ...]:
    try:
        data = tomllib.loads(QUESTION_KINDS_TOML.read_text(encoding="utf-8"))
        kinds = tuple((name, re.compile(pattern, re.I)) for name, pattern in data["kinds"].items())
        comparison = re.compile(data["comparison"]["pattern"], re.I)
    except (OSError, KeyError, re.error, tomllib.TOMLDecodeError) as exc:
        raise PolicyBotError(f"cannot read the question kinds {QUESTION_KINDS_TOML}: {exc}") from None
    return kinds + (("comparison", comparison),)


def content_words(query: str) -> list[str]:
    """The question's own words (jieba's precise cut) that say what it is about: not places, stopwords,
    generic words, procedure words or the words that ask for a kind of fact."""
    kinds = [pattern for _, pattern in question_kinds()]
    places = {n for d in gazetteer().find(query) for n in (d.name, d.short)}
    return [
        w for w in jieba.lcut(query)
        if len(w) >= 2 and CJK_WORD_RE.fullmatch(w) and w in jieba.dt.FREQ and w not in STOPWORDS and w.lower() not in GENERIC_TERMS
        and w not in PROCEDURE_WORDS and w not in places and not any(k.fullmatch(w) for k in kinds)
    ]
