"""Run the server with uvicorn: in the foreground for ``policybot serve``, or on a thread for tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

GRACEFUL_SHUTDOWN_SECONDS = 3


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, so a busy port fails here with an OSError instead of inside uvicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


class _StoppingServer(uvicorn.Server):
    """A uvicorn server that calls ``on_stop`` once it has shut down. uvicorn re-raises the SIGTERM it
    caught when ``run`` ends, which kills the process before any code after ``run`` or a ``finally``."""

    def __init__(self, config: uvicorn.Config, on_stop: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_stop = on_stop

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets=sockets)
        self.on_stop()


def make_server(app: FastAPI, sock: socket.socket, *, log_level: str = "warning",
                on_stop: Callable[[], None] | None = None) -> uvicorn.Server:
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    return uvicorn.Server(config) if on_stop is None else _StoppingServer(config, on_stop)


def serve(app: FastAPI, sock: socket.socket, on_stop: Callable[[], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C / SIGTERM); then ``on_stop()``, connections closed, before the process ends."""
    make_server(app, sock, on_stop=on_stop).run(sockets=[sock])


class BackgroundServer:
    """``with BackgroundServer(app) as url:`` serves ``app`` on a free loopback port on a thread."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0, start_timeout: float = 30.0) -> None:
        self.sock = bind(host, port)
        self.server = make_server(app, self.sock)
        self.start_timeout = start_timeout
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        host, port = self.sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.sock.close()
                raise RuntimeError(f"the server at {self.url} did not start within {self.start_timeout:.0f} s")
            time.sleep(0.02)
        return self.url

    def __exit__(self, *exc_info) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=GRACEFUL_SHUTDOWN_SECONDS + 10)
        self.sock.close()
