"""Engine logs reach Python's logging under the `flowtoy` logger; LogCapture."""

from __future__ import annotations

import logging
from collections import deque

import pytest

from flowtoy.runner import LocalRunner
from flowtoy.runner_api import LogCapture, serve_runner_api_in_thread

from conftest import get_json, python_step


@pytest.fixture
def flowtoy_logger():
    logger = logging.getLogger("flowtoy")
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


class ListHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_log_capture_is_a_handler_with_a_bounded_deque():
    capture = LogCapture(maxlen=3)
    assert isinstance(capture, logging.Handler)
    assert isinstance(capture.records, deque) and capture.records.maxlen == 3
    assert LogCapture().records.maxlen == 100
    logger = logging.getLogger("flowtoy.test.capture")
    logger.addHandler(capture)
    logger.setLevel(logging.INFO)
    try:
        for i in range(5):
            logger.info("line %d", i)
    finally:
        logger.removeHandler(capture)
    assert list(capture.records) == ["line 2", "line 3", "line 4"]


def test_engine_logs_reach_the_flowtoy_logger(flowtoy_logger):
    handler = ListHandler()
    flowtoy_logger.addHandler(handler)
    flowtoy_logger.setLevel(logging.INFO)
    runner = LocalRunner(
        {
            "flow": [
                python_step("fine", "print(1)"),
                python_step("broken", "import sys; sys.exit(3)", on_error="continue"),
            ]
        }
    )
    runner.run()
    lines = [(r.name, r.levelno, r.getMessage()) for r in handler.records]
    assert ("flowtoy.runner.scheduler", logging.INFO, "step started step=fine") in lines
    assert any(
        level == logging.WARNING and "step failed" in msg and "step=broken" in msg
        for _, level, msg in lines
    ), lines
    assert all(name.startswith("flowtoy.") for name, _, _ in lines)


def test_nothing_below_the_loggers_level_is_forwarded(flowtoy_logger):
    handler = ListHandler()
    flowtoy_logger.addHandler(handler)
    flowtoy_logger.setLevel(logging.WARNING)
    LocalRunner({"flow": [python_step("fine", "print(1)")]}).run()
    assert handler.records == []


def test_log_capture_receives_engine_and_server_lines(flowtoy_logger):
    capture = LogCapture(maxlen=100)
    runner = LocalRunner({"flow": [python_step("one", "print(1)")]})
    thread = serve_runner_api_in_thread(runner, port=0, log_level="info", log_capture=capture)
    try:
        runner.run()
        lines = list(capture.records)
        assert any(f"status API and web UI at http://127.0.0.1:{thread.port}" in l for l in lines)
        assert "step started step=one" in lines and "step succeeded step=one" in lines
        assert get_json(f"{thread.url}/logs")["records"] == lines
    finally:
        thread.shutdown(5)


def test_secret_values_are_masked_in_forwarded_lines(flowtoy_logger, monkeypatch):
    handler = ListHandler()
    flowtoy_logger.addHandler(handler)
    flowtoy_logger.setLevel(logging.INFO)
    monkeypatch.setenv("FLOWTOY_TEST_API_TOKEN", "s3cr3t-value")
    runner = LocalRunner(
        {
            "sources": {"vault": {"type": "env", "configuration": {"vars": ["FLOWTOY_TEST_API_TOKEN"]}}},
            "flow": [
                {"name": "read", "source": "vault", "output": [{"name": "t", "type": "jmespath", "value": "FLOWTOY_TEST_API_TOKEN"}]},
                python_step("leak", "import sys; sys.exit(sys.argv[1])", input="{{ flows.read.t }}", on_error="continue"),
            ],
        }
    )
    runner.run()
    text = "\n".join(r.getMessage() for r in handler.records)
    assert "step=leak" in text
    assert "s3cr3t-value" not in text
    assert runner.flows["read"]["t"] == "s3cr3t-value"
