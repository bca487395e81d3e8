"""Words policybot sends to people and to models, kept as data and checked once at start."""

from __future__ import annotations

import string
import tomllib
from functools import lru_cache
from pathlib import Path

from bot.errors import ConfigError

PROMPTS_DIR = Path(__file__).resolve().parent

# Each template and the variables it must contain.
REQUIRED_VARIABLES: dict[str, set[str]] = {
    "refusal.intro": {"reason"},
    "refusal.scope": {"titles"},
    "refusal.reasons.other_jurisdiction": {"place"},
    "notes.draft": {"title"},
    "notes.effective": {"title", "effective_date", "expiry"},
    "notes.detail_missing": {"title", "clause", "detail"},
}


def _variables(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _lookup(data: dict, dotted: str) -> str:
    node = data
    for part in dotted.split("."):
        node = node[part]
    return node


@lru_cache(maxsize=1)
def load_replies() -> dict:
    """The extractive answers' templates, with each template's variables verified."""
    path = PROMPTS_DIR / "replies.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    for key, needed in REQUIRED_VARIABLES.items():
        try:
            template = _lookup(data, key)
        except KeyError:
            raise ConfigError(f"{path.name} is missing the template '{key}'") from None
        missing = needed - _variables(template)
        if missing:
            raise ConfigError(f"{path.name}: template '{key}' lacks the variables {sorted(missing)}")
    return data
