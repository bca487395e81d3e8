"""The `policybot` command: ingest, ask, eval, stats, serve."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bot.errors import PolicyBotError


def _bot(args):
    from bot.service import PolicyBot
    from bot.settings import Settings

    try:
        settings = Settings()
    except Exception as exc:  # pydantic's ValidationError: report the offending setting in one line
        raise PolicyBotError(f"invalid setting: {str(exc).splitlines()[-1].strip() if str(exc) else exc}") from None
    return PolicyBot(settings)


def cmd_ingest(args) -> int:
    from vectorstore.lock import IndexLock

    bot = _bot(args)
    with IndexLock(bot.settings, "policybot ingest"):
        return _ingest(bot, [Path(p) for p in args.paths] or [bot.settings.corpus_dir])


def _ingest(bot, paths: list[Path]) -> int:

    def progress(number: int, total: int, path: Path, status: str) -> None:
        print(f"[{number}/{total}] {path.name}: {status}", file=sys.stderr, flush=True)

    report = bot.ingest(paths, progress=progress)
    for failure in report.failures:
        print(f"policybot: refused {failure.reason}", file=sys.stderr)
    stats = bot.stats()
    print(
        f"ingested {len(report.results)} file(s), {report.clauses} clauses in {report.seconds:.2f} s; "
        f"index: {stats['documents']} documents, {stats['chunks']} chunks",
        file=sys.stderr,
    )
    return 1 if report.failures else 0


def cmd_ask(args) -> int:
    bot = _bot(args)
    answer = bot.ask(" ".join(args.question))
    if args.json:
        print(json.dumps(answer.to_public(), ensure_ascii=False, indent=2))
        return 0
    print(answer.answer)
    for n, citation in enumerate(answer.citations, start=1):
        page = f", 第{citation.page}页" if citation.page else ""
        print(f"\n[{n}] 《{citation.doc_title}》{citation.clause}（{citation.source}{page}）\n    “{citation.quote}”")
    return 0


def cmd_eval(args) -> int:
    from bot.evaluate import format_summary, run_eval

    bot = _bot(args)
    summary = run_eval(bot, Path(args.file), Path(args.out) if args.out else None)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(format_summary(summary))
    return 1 if summary["errors"] else 0


def cmd_eligibility(args) -> int:
    bot = _bot(args)
    try:
        profile = json.loads(Path(args.profile).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PolicyBotError(f"cannot read the profile {args.profile}: {exc}") from None
    if not isinstance(profile, dict):
        raise PolicyBotError(f"{args.profile}: the profile must be a JSON object")
    result = bot.eligibility(profile, args.measure or None)
    if args.json:
        print(result.model_dump_json(indent=2))
        return 0
    labels = {"eligible": "符合", "not_eligible": "不符合", "undetermined": "尚不能确定"}
    for verdict in result.verdicts:
        print(f"\n{verdict.measure} —《{verdict.doc_title}》: {labels[verdict.verdict]}")
        for check in verdict.failed:
            print(f"  不满足: {check.requirement}  [{check.evidence.clause}] “{check.evidence.quote}”")
        for check in verdict.missing:
            print(f"  需要确认: {check.follow_up}  [{check.evidence.clause}]")
        if verdict.note:
            print(f"  {verdict.note}")
        if verdict.benefit_explanation:
            print(f"  支持标准: {verdict.benefit_explanation}")
    return 0


def cmd_stats(args) -> int:
    bot = _bot(args)
    stats = bot.stats()
    if args.json:
        print(json.dumps(stats))
    else:
        print(f"documents: {stats['documents']}\nchunks: {stats['chunks']}\nindex: {bot.store.location}")
    return 0


def cmd_serve(args) -> int:
    if args.port is not None:
        os.environ["POLICYBOT_PORT"] = str(args.port)
    if args.host is not None:
        os.environ["POLICYBOT_HOST"] = args.host
    import app

    return app.main() or 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policybot", description="Cited answers about Zhejiang's 人工智能+ policies.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add policy files (no path: the bundled corpus)")
    p.add_argument("paths", nargs="*", help="files or folders (.txt .md .pdf .docx .html)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="ask one question")
    p.add_argument("question", nargs="+")
    p.add_argument("--json", action="store_true", help="print the answer contract as JSON")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="answer and score a JSON-lines question set")
    p.add_argument("file")
    p.add_argument("--out", help="write one answer per line here")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("eligibility", help="which support measures apply to a profile, condition by condition")
    p.add_argument("--profile", required=True, help='JSON file, e.g. {"type": "enterprise", "region": "杭州市", "annual_revenue_cny": 3e8}')
    p.add_argument("--measure", action="append", help="only measures whose name contains this (repeatable)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eligibility)

    p = sub.add_parser("stats", help="documents and chunks in the index")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("serve", help="serve the web chat")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except PolicyBotError as exc:
        print(f"policybot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
