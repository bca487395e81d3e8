"""Generated answers through any OpenAI-compatible endpoint, from retrieved clauses, with verified citations."""

from bot.llm.chat import ChatModel, OpenAIChatModel, llm_configured
from bot.llm.writer import LLMAnswerer

__all__ = ["ChatModel", "LLMAnswerer", "OpenAIChatModel", "llm_configured"]
