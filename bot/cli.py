"""The `policybot` command: ingest, ask, eval, stats, serve, docs (list/show/remove/status/log), diff."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from core.errors import PolicyBotError


def _settings():
    from core.settings import Settings

    try:
        return Settings()
    except Exception as exc:  # pydantic's ValidationError: report the offending setting in one line
        raise PolicyBotError(f"invalid setting: {str(exc).splitlines()[-1].strip() if str(exc) else exc}") from None


def _bot(args, settings=None):
    from bot.service import PolicyBot

    return PolicyBot(settings or _settings())


def _writer_lock(purpose: str):
    """The embedded index's writer lock, taken before the index is opened (a running server holds it)."""
    from vectorstore.lock import IndexLock

    settings = _settings()
    return settings, IndexLock(settings, purpose)


def cmd_ingest(args) -> int:
    settings, lock = _writer_lock("policybot ingest")
    with lock:
        bot = _bot(args, settings)
        return _ingest(bot, [Path(p) for p in args.paths] or [bot.settings.corpus_dir], args.supersedes)


def _ingest(bot, paths: list[Path], supersedes: list[str] | None = None) -> int:
    from bot.library import cli_actor

    def progress(number: int, total: int, path: Path, status: str) -> None:
        print(f"[{number}/{total}] {path.name}: {status}", file=sys.stderr, flush=True)

    report = bot.ingest(paths, progress=progress, actor=cli_actor(), supersedes=supersedes)
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
    from bot.eligibility import VERDICT_NAMES

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
    for verdict in result.concrete:
        print(f"\n{verdict.measure} —《{verdict.doc_title}》: {VERDICT_NAMES[verdict.verdict]}（{verdict.reason}）")
        if verdict.deciding:
            print(f"  依据: [{verdict.deciding.clause}] “{verdict.deciding.quote}”")
        for check in verdict.failed:
            print(f"  不满足: {check.requirement}  [{check.evidence.clause}] “{check.evidence.quote}”")
        for check in verdict.missing:
            print(f"  需要确认: {check.follow_up or check.requirement}  [{check.evidence.clause}]")
        for step in verdict.benefit_steps:
            print(f"  支持金额: {step.text}" + (f"  [{step.evidence.clause}]" if step.evidence else ""))
        if verdict.benefit_explanation and not verdict.benefit_steps:
            print(f"  支持标准: {verdict.benefit_explanation}")
    for entry in result.unconditioned:
        print(f"\n《{entry.doc_title}》: {'、'.join(entry.measures)} — {entry.note}")
    return 0


def cmd_stats(args) -> int:
    bot = _bot(args)
    stats = bot.stats()
    if args.json:
        print(json.dumps(stats))
    else:
        print(f"documents: {stats['documents']}\nchunks: {stats['chunks']}\nindex: {bot.store.location}")
    return 0


def _print_json(value) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def cmd_docs_list(args) -> int:
    rows = _bot(args).library.list_documents()
    if args.json:
        _print_json([row.model_dump() for row in rows])
        return 0
    if not rows:
        print("no documents indexed (policybot ingest FILE adds one)")
        return 0
    for row in rows:
        print(
            f"{row.id}  [{row.status_label}] 《{row.title}》\n"
            f"    {row.issuer or '—'}  {row.date or '—'}  {row.doc_number or '—'}  {row.jurisdiction or '—'}  "
            f"{row.clauses} clauses  {row.source}  ingested {row.ingested_at or '—'}\n"
            f"    {row.status_reason}"
        )
    return 0


def cmd_docs_show(args) -> int:
    detail = _bot(args).library.show(args.id)
    if args.json:
        _print_json(detail.model_dump())
        return 0
    fields = [
        ("id", detail.id), ("title", detail.title), ("issuer", detail.issuer), ("date", detail.date),
        ("文号", detail.doc_number), ("status", f"{detail.status} ({detail.status_label}): {detail.status_reason}"),
        ("effective", detail.effective_date), ("expires", detail.expiry_date), ("jurisdiction", detail.jurisdiction),
        ("supersedes", ", ".join(detail.supersedes)), ("superseded by", detail.superseded_by),
        ("source", detail.source), ("ingested at", detail.ingested_at), ("clauses", str(detail.clauses)),
    ]
    for name, value in fields:
        if value:
            print(f"{name:>13}: {value}")
    for path in detail.clause_paths:
        print(f"{'':>15}{path}")
    for entry in detail.history:
        print(f"{'history':>13}: {entry['time']} {entry['action']} by {entry['actor']}")
    return 0


def cmd_docs_remove(args) -> int:
    from bot.library import cli_actor

    settings, lock = _writer_lock("policybot docs remove")
    with lock:
        bot = _bot(args, settings)
        document = bot.library.resolve(args.id)
        if not args.yes:
            try:
                reply = input(f"remove 《{document.title}》 ({document.doc_id}, {document.source}) from the index? [y/N] ")
            except EOFError:
                reply = ""
            if reply.strip().lower() not in ("y", "yes"):
                print("policybot: nothing removed", file=sys.stderr)
                return 1
        bot.library.remove(document.doc_id, cli_actor())
        print(f"removed 《{document.title}》 ({document.doc_id})")
    return 0


def cmd_docs_status(args) -> int:
    from bot.library import cli_actor

    settings, lock = _writer_lock("policybot docs status")
    with lock:
        row = _bot(args, settings).library.set_status(args.id, args.status, cli_actor())
    print(f"《{row.title}》 ({row.id}): {row.status} ({row.status_label}) — {row.status_reason}")
    return 0


def cmd_docs_log(args) -> int:
    bot = _bot(args)
    doc_id = bot.library.resolve(args.id).doc_id if args.id else None
    entries = bot.library.audit.entries(doc_id)
    if args.json:
        _print_json(entries)
        return 0
    for entry in entries:
        extra = "".join(f" {k}={entry[k]}" for k in ("status", "superseded_by") if entry.get(k))
        print(f"{entry['time']}  {entry['action']:<10} {entry['actor']:<20} {entry['doc_id']} 《{entry['title']}》{extra}")
    print(f"({len(entries)} entries in {bot.library.audit.location})", file=sys.stderr)
    return 0


def cmd_diff(args) -> int:
    from bot.compare import compare_documents
    from ingest.pipeline import parse_file

    paths = [Path(ref) for ref in (args.old, args.new)]
    if all(p.is_file() for p in paths):  # two files: no index needed
        diff = compare_documents(*(parse_file(p) for p in paths))
    else:
        diff = _bot(args).library.diff(args.old, args.new)
    if args.json:
        print(diff.model_dump_json(indent=2))
    else:
        print(diff.to_text())
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
    p.add_argument("--supersedes", action="append", metavar="ID", help="the new file replaces this document (repeatable)")
    p.set_defaults(func=cmd_ingest)

    docs = sub.add_parser("docs", help="the indexed documents: list, show, remove, set a status, audit log")
    docs_sub = docs.add_subparsers(dest="docs_command", required=True)
    p = docs_sub.add_parser("list", help="every document with its status")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_docs_list)
    p = docs_sub.add_parser("show", help="one document: metadata, status, clauses, history")
    p.add_argument("id", help="document id (or its start, or the file name)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_docs_show)
    p = docs_sub.add_parser("remove", help="take a document out of the index")
    p.add_argument("id")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_docs_remove)
    p = docs_sub.add_parser("status", help="set a document's status: draft, in_force, superseded, withdrawn, expired, or auto")
    p.add_argument("id")
    p.add_argument("status")
    p.set_defaults(func=cmd_docs_status)
    p = docs_sub.add_parser("log", help="the audit log of changes (all, or one document's)")
    p.add_argument("id", nargs="?")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_docs_log)

    p = sub.add_parser("diff", help="compare two versions clause by clause (document ids or files)")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_diff)

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
