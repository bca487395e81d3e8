"""Parse untrusted files in a separate process, with a time limit and a memory limit.

A hostile file (a PDF that loops forever, a .docx that inflates to gigabytes, input that crashes a
C extension) must not hang or crash the process that ingests it. A small worker process
(``python -m ingest.sandbox``) loads the parsers once and forks one child per file; the child
lowers its own limits (address space, CPU time, no core file), parses, and writes the document
back as JSON; the worker kills a child that runs past the time limit. Per file this costs a fork
(a few ms) instead of a Python start with the parsers imported (about 0.5 s). The worker leaves by
itself when its caller goes away or after a few idle minutes, and is started again when needed.

Nothing the child sends is unpickled: the caller validates the JSON into a ``Document``.
POSIX only (fork, resource limits).
"""

from __future__ import annotations

import atexit
import errno
import importlib
import json
import logging
import math
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from core.errors import PolicyBotError, UnsupportedDocument
from ingest.models import Document

log = logging.getLogger(__name__)

DEFAULT_PARSER = "ingest.pipeline:parse_file"
IDLE_SECONDS = 300.0
# The worker kills an overrunning child itself; the caller waits this much longer before it
# gives up on the worker too.
_WORKER_GRACE_SECONDS = 10.0
_READ_SIZE = 1 << 16


class ParseSandbox:
    """A worker process that parses each file in a forked child with limits; one file at a time.

    ``parser`` names the function that parses, as ``module:function`` importable by the worker
    (it gets the caller's ``sys.path``); it is called as ``parser(path, max_bytes=...)``.
    """

    def __init__(self, parser: str = DEFAULT_PARSER, idle_seconds: float = IDLE_SECONDS) -> None:
        if ":" not in parser:
            raise ValueError(f"parser must look like 'module:function', got {parser!r}")
        if idle_seconds <= 0:
            raise ValueError(f"idle_seconds must be greater than 0, got {idle_seconds}")
        self.parser = parser
        self.idle_seconds = idle_seconds
        self._process: subprocess.Popen | None = None
        self._buffer = b""
        self._lock = threading.Lock()

    def __enter__(self) -> ParseSandbox:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def worker_pid(self) -> int | None:
        """The running worker's process id (None before the first parse or after it left)."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def parse(self, path: Path, *, max_bytes: int, timeout_seconds: float, memory_mb: int) -> Document:
        """Parse ``path`` within the limits; ``UnsupportedDocument`` says in one line why it was refused."""
        if timeout_seconds <= 0:
            raise ValueError(f"timeout_seconds must be greater than 0, got {timeout_seconds}")
        if memory_mb <= 0:
            raise ValueError(f"memory_mb must be greater than 0, got {memory_mb}")
        request = {
            "path": str(Path(path).absolute()),
            "name": Path(path).name,
            "max_bytes": int(max_bytes),
            "timeout": float(timeout_seconds),
            "memory_mb": int(memory_mb),
            "parser": self.parser,
        }
        with self._lock:
            for attempt in (1, 2):
                try:
                    reply = self._exchange(request, timeout_seconds + _WORKER_GRACE_SECONDS)
                    break
                except _WorkerGone as gone:
                    # Usually the worker left after being idle just as this request arrived.
                    self._stop()
                    if attempt == 2:
                        raise PolicyBotError(
                            f"the parse worker (python -m ingest.sandbox) stopped unexpectedly ({gone}); "
                            "check that the ingest package is importable by this Python"
                        ) from None
                except _WorkerTimeout:
                    self._stop()
                    raise UnsupportedDocument(_timeout_reason(request)) from None
        if "refused" in reply:
            if reply.get("traceback"):
                log.warning("parser failed on %s:\n%s", request["name"], reply["traceback"])
            raise UnsupportedDocument(str(reply["refused"]))
        return Document.model_validate(reply["document"])

    def close(self) -> None:
        with self._lock:
            self._stop()

    # --- talking to the worker --------------------------------------------------------
    def _start(self) -> subprocess.Popen:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        return subprocess.Popen(
            [sys.executable, "-m", "ingest.sandbox", "--idle-seconds", str(self.idle_seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )

    def _exchange(self, request: dict, wait_seconds: float) -> dict:
        if self._process is None or self._process.poll() is not None:
            self._stop()
            self._process = self._start()
        process = self._process
        try:
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _WorkerGone(f"cannot send the request: {exc}") from None
        line = self._read_line(process, time.monotonic() + wait_seconds)
        try:
            reply = json.loads(line)
        except ValueError:
            raise _WorkerGone("the worker sent an unreadable reply") from None
        if not isinstance(reply, dict) or not ({"refused", "document"} & set(reply)):
            raise _WorkerGone("the worker sent an unexpected reply")
        return reply

    def _read_line(self, process: subprocess.Popen, deadline: float) -> bytes:
        fd = process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _WorkerTimeout()
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            data = os.read(fd, _READ_SIZE)
            if not data:
                raise _WorkerGone(f"exit code {process.wait()}")
            self._buffer += data
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _stop(self) -> None:
        process, self._process, self._buffer = self._process, None, b""
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class _WorkerGone(Exception):
    pass


class _WorkerTimeout(Exception):
    pass


def _timeout_reason(request: dict) -> str:
    return (
        f"{request['name']}: parsing took longer than {request['timeout']:g} s, so the file was refused; "
        "if it is a genuine document, raise POLICYBOT_PARSE_TIMEOUT_SECONDS"
    )


def _memory_reason(request: dict) -> str:
    return (
        f"{request['name']}: parsing needs more than {request['memory_mb']} MB of memory, so the file was refused; "
        "if it is a genuine document, raise POLICYBOT_PARSE_MEMORY_MB"
    )


# --- the shared sandbox that PolicyBot.ingest uses --------------------------------------
_shared: ParseSandbox | None = None
_shared_lock = threading.Lock()


def shared_sandbox() -> ParseSandbox:
    """One worker per process, started on first use, reused for every file after it."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ParseSandbox()
            atexit.register(_shared.close)
        return _shared


def parse_file_isolated(path: Path, *, max_bytes: int, timeout_seconds: float, memory_mb: int) -> Document:
    """``ingest.pipeline.parse_file`` in a forked child with a time and a memory limit."""
    return shared_sandbox().parse(path, max_bytes=max_bytes, timeout_seconds=timeout_seconds, memory_mb=memory_mb)


# --- the worker (python -m ingest.sandbox) ----------------------------------------------
def _resolve(spec: str, cache: dict):
    if spec not in cache:
        module, _, name = spec.partition(":")
        cache[spec] = getattr(importlib.import_module(module), name)
    return cache[spec]


def _address_space_bytes() -> int:
    """This process's current virtual size (Linux); 0 where /proc is missing."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _lower_limit(which: int, soft: int, hard: int) -> None:
    current_soft, current_hard = resource.getrlimit(which)
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
        soft = min(soft, hard)
    resource.setrlimit(which, (soft, hard))


def _limit_child(request: dict) -> None:
    # The limit is what a parse may add to the worker's own size (interpreter and parsers), so
    # the setting means the same whatever the baseline on a given machine.
    address_space = _address_space_bytes() + request["memory_mb"] * 1024 * 1024
    _lower_limit(resource.RLIMIT_AS, address_space, address_space)
    # A backstop should the worker fail to kill this child: the kernel stops it after CPU time.
    cpu = math.ceil(request["timeout"]) + 1
    _lower_limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _lower_limit(resource.RLIMIT_CORE, 0, 0)


def _child_reply(request: dict, parsers: dict) -> bytes:
    try:
        _limit_child(request)
        parse = _resolve(request["parser"], parsers)
        document = parse(Path(request["path"]), max_bytes=request["max_bytes"])
        return b'{"document":' + document.model_dump_json().encode() + b"}"
    except UnsupportedDocument as exc:
        return json.dumps({"refused": " ".join(str(exc).split())}).encode()
    except MemoryError:
        return json.dumps({"refused": _memory_reason(request)}).encode()
    except Exception as exc:  # a parser bug triggered by this file: refuse the file, not the ingest
        reason = f"{request['name']}: the file cannot be parsed ({type(exc).__name__}); it may be corrupt"
        return json.dumps({"refused": reason, "traceback": traceback.format_exc()}).encode()


def _run_child(request: dict, parsers: dict, reply_fd: int) -> None:
    """In the forked child: parse, write the reply, exit without running any cleanup."""
    code = 0
    try:
        reply = _child_reply(request, parsers)
        view = memoryview(reply)
        while view:
            view = view[os.write(reply_fd, view) :]
    except BaseException:  # noqa: BLE001 - the worker reports a child that exits without a reply
        code = 70
    finally:
        os._exit(code)


def _reap(pid: int, deadline: float) -> int:
    """Wait for the child until ``deadline``, then kill it; its wait status."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
            return os.waitpid(pid, 0)[1]
        time.sleep(0.001)


def _parse_in_child(request: dict, parsers: dict, protocol_fds: tuple[int, int]) -> bytes:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        for fd in protocol_fds:  # the child never talks to the caller directly
            os.close(fd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        _run_child(request, parsers, write_fd)
    os.close(write_fd)
    deadline = time.monotonic() + request["timeout"]
    chunks: list[bytes] = []
    timed_out = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_fd], [], [], remaining)
            if ready:
                data = os.read(read_fd, _READ_SIZE)
                if not data:
                    break
                chunks.append(data)
    finally:
        os.close(read_fd)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return json.dumps({"refused": _timeout_reason(request)}).encode()
    status = _reap(pid, time.monotonic() + 1.0)
    reply = b"".join(chunks)
    # One line per reply keeps the caller in step; a child that sends more is not to be believed.
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and reply and b"\n" not in reply:
        return reply
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
        return json.dumps({"refused": _timeout_reason(request)}).encode()
    how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit code {os.WEXITSTATUS(status)}"
    reason = (
        f"{request['name']}: the parser crashed on this file ({how}); it may be corrupt, or need more than "
        f"{request['memory_mb']} MB (POLICYBOT_PARSE_MEMORY_MB)"
    )
    return json.dumps({"refused": reason}).encode()


def _serve(idle_seconds: float) -> None:
    """Answer one JSON request per line on stdin with one JSON reply per line on stdout."""
    # Replies go to a private copy of stdout; anything a library prints goes to stderr instead.
    request_fd, reply_fd = 0, os.dup(1)
    os.dup2(2, 1)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    parsers: dict = {}
    _resolve(DEFAULT_PARSER, parsers)  # load the parsers once; every child inherits them
    for module in ("pypdf", "docx", "bs4"):
        importlib.import_module(module)
    from ingest.pinyin import pinyin_words

    pinyin_words()  # the lexicon too: loading it in every child would cost each parse ~0.1 s
    buffer = b""
    while True:
        while b"\n" not in buffer:
            ready, _, _ = select.select([request_fd], [], [], idle_seconds)
            if not ready:
                return  # idle: the caller starts a new worker when it needs one
            try:
                data = os.read(request_fd, _READ_SIZE)
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise
            if not data:
                return  # the caller went away
            buffer += data
        line, _, buffer = buffer.partition(b"\n")
        request = json.loads(line)
        reply = _parse_in_child(request, parsers, (request_fd, reply_fd))
        view = memoryview(reply + b"\n")
        while view:
            view = view[os.write(reply_fd, view) :]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ingest.sandbox", description=_serve.__doc__)
    parser.add_argument("--idle-seconds", type=float, default=IDLE_SECONDS)
    args = parser.parse_args(argv)
    try:
        _serve(args.idle_seconds)
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
