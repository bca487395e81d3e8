"""The errors policybot shows to people.

Everything a user may see derives from ``PolicyBotError``; its message says what went
wrong and how to fix it, in one line. The CLI, API and UI catch this kind only.
"""


class PolicyBotError(Exception):
    """An error meant for the user: one line, saying how to fix it.

    The message is English (CLI, logs, API consumers); ``zh`` is what the Chinese web page shows,
    which must not carry operator details such as a server address. ``code`` is a stable English
    identifier (e.g. ``question_too_long``) the HTTP API reports beside the message.
    """

    zh_default = "请求未能完成，请检查输入后重试。"

    def __init__(self, message: str, *, zh: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh
        self.code = code

    def for_people(self) -> str:
        return self.zh or self.zh_default


class UnsupportedDocument(PolicyBotError):
    """A file that cannot be ingested (encrypted, corrupt, no text, unknown type)."""


class IndexUnavailable(PolicyBotError):
    """The vector store cannot be reached or opened."""

    zh_default = "暂时无法读取政策文件索引，请稍后再试。"


class LLMUnavailable(PolicyBotError):
    """The configured LLM endpoint failed; callers fall back to extractive answers."""


class InvalidQuestion(PolicyBotError):
    """A question that is empty or too long."""

    zh_default = "无法处理这个问题，请换一种问法。"


class ConfigError(PolicyBotError):
    """A setting has a value policybot cannot use."""
