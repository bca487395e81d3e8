"""The pool of distinct questions a portal workload draws from: the evaluation sets plus mechanical paraphrases.

    .venv/bin/python benchmarks/question_pool.py              # how many, and a sample
    .venv/bin/python benchmarks/question_pool.py --out pool.txt

Every question of ``tests/eval/**/*.jsonl`` (the plan set, the rules sample, and dev/ and test/ sets
where present) is one entry; each also appears in the ways people open or close a question on a
portal (a greeting, a polite request, a thanks), chosen by template so the pool is reproducible.
Questions are read at run time: nothing here quotes them. The bot reads a wrapped question as the
question itself (bot/courtesy.py), so to its cache the pool holds fewer distinct questions than lines;
the workload reports both.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = REPO_ROOT / "tests" / "eval"

# How citizens wrap the same question; {q} is the question, {bare} the same without closing punctuation.
CHINESE_TEMPLATES = (
    "请问，{q}",
    "您好，{q}",
    "想咨询一下：{q}",
    "{bare}？谢谢",
    "麻烦问下，{q}",
    "{bare}，麻烦告知一下",
)
ENGLISH_TEMPLATES = (
    "Hi, {q}",
    "Hello, {q}",
    "Could you tell me: {q}",
    "{bare}? Thanks",
    "Quick question: {q}",
    "{bare}, please",
)
VARIANTS_PER_QUESTION = 3
_CJK = re.compile(r"[\u4e00-\u9fff]")


def eval_questions(folder: Path = EVAL_DIR) -> list[str]:
    """Every question of the evaluation sets under ``folder``, in file order, once each."""
    questions: dict[str, None] = {}
    for path in sorted(folder.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                question = str(json.loads(line).get("question", "")).strip()
                if question:
                    questions.setdefault(question, None)
    return list(questions)


def paraphrases(question: str, number: int) -> list[str]:
    """``VARIANTS_PER_QUESTION`` wrappings of ``question``; ``number`` rotates which templates apply."""
    templates = CHINESE_TEMPLATES if _CJK.search(question) else ENGLISH_TEMPLATES
    bare = question.rstrip("?？。.!！ ")
    return [
        templates[(number + i) % len(templates)].format(q=question, bare=bare) for i in range(VARIANTS_PER_QUESTION)
    ]


def question_pool(folder: Path = EVAL_DIR) -> list[str]:
    """The evaluation questions and their paraphrases, distinct, in a fixed order."""
    pool: dict[str, None] = {}
    for number, question in enumerate(eval_questions(folder)):
        pool.setdefault(question, None)
        for variant in paraphrases(question, number):
            pool.setdefault(variant, None)
    return list(pool)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the pool here, one question a line")
    args = parser.parse_args(argv)
    pool = question_pool()
    if args.out:
        args.out.write_text("\n".join(pool) + "\n", encoding="utf-8")
    print(f"{len(pool)} distinct questions from {len(eval_questions())} evaluation questions", file=sys.stderr)
    if not args.out:
        for question in pool[:8]:
            print(question)
    return 0


if __name__ == "__main__":
    sys.exit(main())
