"""Filling the answer cache at start from a file of popular questions (POLICYBOT_CACHE_WARM_FILE).

A portal knows its popular questions from yesterday's logs. Answered once at start, in the
background, they are cache hits from the first visitor on instead of after the first askings. The
file: UTF-8 text, one question per line; blank lines and lines starting with ``#`` are skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from core.errors import PolicyBotError

log = logging.getLogger(__name__)
MAX_WARM_FILE_BYTES = 4_000_000


def read_popular_questions(path: Path, limit: int) -> list[str]:
    """The file's distinct questions in order, at most ``limit``; a bad file raises with one line saying why."""
    try:
        size = path.stat().st_size
        if size > MAX_WARM_FILE_BYTES:
            raise PolicyBotError(f"{path}: {size:,} bytes, over the {MAX_WARM_FILE_BYTES:,} a question list may have")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyBotError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PolicyBotError(f"{path}: a folder, not a file of questions") from None
    except UnicodeDecodeError as exc:
        raise PolicyBotError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise PolicyBotError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    lines = (line.strip().lstrip("\ufeff") for line in text.splitlines())
    questions = list(dict.fromkeys(line for line in lines if line and not line.startswith("#")))
    if not questions:
        raise PolicyBotError(f"{path}: no questions in it (one per line; '#' starts a comment)")
    return questions[:limit]


def warm_answers(
    ask: Callable[[str], object], questions: list[str], report: Callable[[str], None] = log.info, every: int = 50
) -> tuple[int, int]:
    """Ask each question once (its answer lands in the cache); returns (answered, skipped).

    A question the bot refuses as input (too long …) is skipped with one line; nothing stops the rest.
    """
    started, answered, skipped = time.monotonic(), 0, 0
    report(f"cache warm-up: answering {len(questions)} popular question(s) …")
    for number, question in enumerate(questions, start=1):
        try:
            ask(question)
            answered += 1
        except PolicyBotError as exc:
            skipped += 1
            report(f"cache warm-up: skipped line {number}: {' '.join(str(exc).split())[:200]}")
        if number % every == 0 and number < len(questions):
            report(f"cache warm-up: {number}/{len(questions)}")
    report(f"cache warm-up: done, {answered} answered, {skipped} skipped in {time.monotonic() - started:.1f} s")
    return answered, skipped
