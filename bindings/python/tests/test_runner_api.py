"""flowtoy.runner_api.serve_runner_api_in_thread: the status API (R19)."""

from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.request

import pytest

from flowtoy.runner import LocalRunner
from flowtoy.runner_api import serve_runner_api_in_thread

from conftest import free_port, get_json, python_step


def one_step_runner():
    return LocalRunner(
        {"flow": [python_step("one", "print('ok')", output=[{"name": "text"}])]}
    )


def test_port_zero_picks_a_port_and_accepts_at_once():
    runner = one_step_runner()
    thread = serve_runner_api_in_thread(runner, host="127.0.0.1", port=0)
    try:
        assert isinstance(thread, threading.Thread)
        assert thread.daemon and thread.is_alive()
        assert isinstance(thread.port, int) and thread.port > 0
        assert thread.url == f"http://127.0.0.1:{thread.port}"
        # Accepting connections as soon as the call returned.
        assert get_json(f"{thread.url}/healthz") == {"ok": True}
        before = get_json(f"{thread.url}/status")
        assert before["started_at"] is None
        assert before["total_steps"] == 1 and before["completed_steps"] == 0
        assert before["steps"]["one"]["state"] == "pending"
        runner.run()
        after = get_json(f"{thread.url}/status")
        assert after["completed_steps"] == 1 and after["current_step"] is None
        assert after["steps"]["one"]["outputs"] == ["text"]
        assert get_json(f"{thread.url}/outputs") == {"one": {"text": "ok"}}
    finally:
        thread.shutdown(5)
    assert not thread.is_alive()


def test_a_fixed_port_works():
    port = free_port()
    runner = one_step_runner()
    thread = serve_runner_api_in_thread(runner, host="127.0.0.1", port=port)
    try:
        assert thread.port == port
        runner.run()
        data = get_json(f"http://127.0.0.1:{port}/status")
        assert data["total_steps"] == 1 and data["completed_steps"] == 1
    finally:
        thread.shutdown(5)


def test_a_port_in_use_raises_os_error():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        with pytest.raises(OSError, match="cannot serve the status API"):
            serve_runner_api_in_thread(one_step_runner(), port=busy.getsockname()[1])


def test_no_runner_and_an_invalid_runner():
    thread = serve_runner_api_in_thread(None)
    try:
        assert get_json(f"{thread.url}/status") == {"status": "no-runner"}
    finally:
        thread.shutdown(5)
    invalid = LocalRunner({"flow": [{"name": "a"}]})
    thread = serve_runner_api_in_thread(invalid)
    try:
        assert get_json(f"{thread.url}/status") == {"status": "no-runner"}
    finally:
        thread.shutdown(5)


def test_errors_are_json():
    thread = serve_runner_api_in_thread(one_step_runner())
    try:
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(f"{thread.url}/nope", timeout=5)
        assert raised.value.code == 404
    finally:
        thread.shutdown(5)


def test_status_is_served_while_the_run_goes_on():
    runner = LocalRunner({"flow": [python_step("slow", "import time; time.sleep(0.5)")]})
    thread = serve_runner_api_in_thread(runner)
    try:
        worker = threading.Thread(target=runner.run)
        worker.start()
        seen = set()
        while worker.is_alive():
            seen.add(get_json(f"{thread.url}/status")["steps"]["slow"]["state"])
        worker.join()
        assert "running" in seen
    finally:
        thread.shutdown(5)
