"""Words policybot sends to people and to models, kept as data and checked once at start."""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.errors import ConfigError

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


# --- generated (LLM) answers ------------------------------------------------------------
# Each template of the generated answers and exactly the variables it uses: a missing one
# would leave the model without its sources, an unknown one fails at the first question.
LLM_VARIABLES: dict[str, set[str]] = {
    "system.md": {"not_covered"},
    "answer.md": {"source_count", "sources", "question"},
    "llm.toml: source": {"number", "doc_title", "status", "clause", "text", "excerpt"},
    "llm.toml: not_covered": set(),
    "llm.toml: excerpt": set(),
    "llm.toml: notices.unavailable": set(),
    "llm.toml: notices.unverified": set(),
    "llm.toml: notices.removed": set(),
}


@dataclass(frozen=True)
class LLMPrompts:
    """The words sent to a language model, and the notices shown around what it writes."""

    system: str  # the system prompt, ready to send
    answer: str  # the user message: {source_count}, {sources}, {question}
    source: str  # one numbered source inside the user message
    excerpt: str  # appended to a clause cut after a whole sentence to fit the context
    not_covered: str  # what the model says when the sources do not cover the question
    notices: dict[str, str]  # unavailable, unverified, removed


@lru_cache(maxsize=None)
def load_llm_prompts(directory: Path = PROMPTS_DIR) -> LLMPrompts:
    """The generated answers' system prompt, answer template and notices, with each template's variables verified."""
    try:
        files = {name: (directory / name).read_text(encoding="utf-8") for name in ("system.md", "answer.md")}
        phrases = tomllib.loads((directory / "llm.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the LLM prompts in {directory}: {exc}") from None
    templates: dict[str, str] = {}
    for name, needed in LLM_VARIABLES.items():
        if name in files:
            template = files[name]
        else:
            key = name.removeprefix("llm.toml: ")
            try:
                template = _lookup(phrases, key)
            except (KeyError, TypeError):
                raise ConfigError(f"llm.toml is missing the template '{key}'") from None
            if not isinstance(template, str):
                raise ConfigError(f"llm.toml: '{key}' must be a string") from None
        try:
            found = _variables(template)
        except ValueError as exc:  # a lone brace
            raise ConfigError(f"{name}: {exc}; write a literal brace as {{{{ or }}}}") from None
        if needed - found:
            raise ConfigError(f"{name}: template lacks the variables {sorted(needed - found)}")
        if found - needed:
            raise ConfigError(f"{name}: template uses unknown variables {sorted(found - needed)}, known: {sorted(needed)}")
        templates[name] = template
    not_covered = templates["llm.toml: not_covered"]
    return LLMPrompts(
        system=templates["system.md"].format(not_covered=not_covered).strip(),
        answer=templates["answer.md"].strip(),
        source=templates["llm.toml: source"],
        excerpt=templates["llm.toml: excerpt"],
        not_covered=not_covered,
        notices={key: templates[f"llm.toml: notices.{key}"] for key in ("unavailable", "unverified", "removed")},
    )
