"""The errors policybot shows to people.

Everything a user may see derives from ``PolicyBotError``; its message says what went
wrong and how to fix it, in one line. The CLI, API and UI catch this kind only.
"""


class PolicyBotError(Exception):
    """An error meant for the user: one line, saying how to fix it."""


class UnsupportedDocument(PolicyBotError):
    """A file that cannot be ingested (encrypted, corrupt, no text, unknown type)."""


class IndexUnavailable(PolicyBotError):
    """The vector store cannot be reached or opened."""


class LLMUnavailable(PolicyBotError):
    """The configured LLM endpoint failed; callers fall back to extractive answers."""


class InvalidQuestion(PolicyBotError):
    """A question that is empty or too long."""


class ConfigError(PolicyBotError):
    """A setting has a value policybot cannot use."""
