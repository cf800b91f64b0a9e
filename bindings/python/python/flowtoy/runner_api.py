"""The status API for a runner (SPEC R19, R33) and a log handler that keeps
the last lines (``LogCapture``)."""

from __future__ import annotations

import logging
import threading
from collections import deque
from . import _flowtoy
from .runner import LocalRunner

TYPE_CHECKING = False  # `typing` is for checkers only: importing it is slow
if TYPE_CHECKING:
    from typing import Any, Deque, List, Optional, Union

#: Where the engine's and the status server's log records go.
LOGGER_NAME = "flowtoy"


class LogCapture(logging.Handler):
    """A ``logging.Handler`` keeping the last ``maxlen`` formatted records in
    ``records`` (a ``collections.deque``).

    Given to ``serve_runner_api_in_thread``, it is attached to the
    ``flowtoy`` logger, so it receives the engine's log lines (steps
    starting, ending, failing) and the server's; the server's ``GET /logs``
    serves the same lines.
    """

    records: Deque[str]

    def __init__(self, maxlen: int = 100) -> None:
        super().__init__()
        self.records = deque(maxlen=maxlen)
        self._servers: List[Any] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            self.records.append(line)
            for server in self._servers:
                server.push_log(line)
        except Exception:
            self.handleError(record)


def _level_number(log_level: Union[str, int]) -> int:
    if isinstance(log_level, int):
        return log_level
    number = logging.getLevelName(str(log_level).upper())
    if not isinstance(number, int):
        raise ValueError(
            f"unknown log level {log_level!r}: use critical, error, warning, info or debug"
        )
    return number


class RunnerApiThread(threading.Thread):
    """The daemon thread ``serve_runner_api_in_thread`` returns: it lives as
    long as the server serves. ``host``, ``port`` and ``url`` tell where."""

    host: str
    port: int
    url: str

    def __init__(self, server: Any) -> None:
        super().__init__(name=f"flowtoy-status-api-{server.port}", daemon=True)
        self._server = server
        self.host = server.host
        self.port = server.port
        self.url = server.url

    def run(self) -> None:
        self._server.wait()

    def shutdown(self, timeout: Optional[float] = None) -> None:
        """Stops the server (open event streams end) and waits for the thread."""
        self._server.shutdown()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)


def serve_runner_api_in_thread(
    runner: Optional[LocalRunner],
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: Union[str, int] = "info",
    log_capture: Optional[LogCapture] = None,
) -> RunnerApiThread:
    """Serves the status API for ``runner`` on ``host:port`` from a daemon
    thread, and returns that thread once the server accepts connections.

    ``port=0`` picks a free port; the returned thread's ``port`` tells which.
    Routes: ``GET /status``, ``/outputs``, ``/events`` (Server-Sent Events),
    ``/logs``, ``/healthz`` and the web UI at ``/``. ``log_level`` is the
    least severe level of the server's own lines (its address at ``info``,
    each request at ``debug``) and of the lines ``log_capture`` keeps; a
    capture is attached to the ``flowtoy`` logger, whose level is lowered to
    ``log_level`` if it was higher. Raises ``OSError`` when the address
    cannot be used (a fixed port in use, say).
    """
    level = _level_number(log_level)
    if log_capture is not None:
        log_capture.setLevel(level)
        logger = logging.getLogger(LOGGER_NAME)
        if log_capture not in logger.handlers:
            logger.addHandler(log_capture)
        if logger.level == logging.NOTSET or logger.level > level:
            logger.setLevel(level)
    if runner is None:
        native = None
    elif isinstance(runner, LocalRunner):
        native = runner._native
    elif isinstance(runner, _flowtoy.Runner):
        native = runner
    else:
        raise TypeError(
            f"serve_runner_api_in_thread takes a flowtoy LocalRunner, not {type(runner).__name__}"
        )
    maxlen = log_capture.records.maxlen if log_capture is not None else None
    server = _flowtoy.serve(native, host, port, level, maxlen or 100)
    if log_capture is not None:
        for line in list(log_capture.records):
            server.push_log(line)
        log_capture._servers.append(server)
    thread = RunnerApiThread(server)
    thread.start()
    return thread


__all__ = ["LogCapture", "RunnerApiThread", "serve_runner_api_in_thread"]
