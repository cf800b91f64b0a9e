"""Status read from other threads while run() goes on (the GIL is released)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from flowtoy.runner import LocalRunner

from conftest import python_step


def slow_flow(seconds: float = 0.3):
    code = f"import time, json; time.sleep({seconds}); print(json.dumps({{'v': 'X'}}))"
    out = [{"name": "v", "type": "json"}]
    return {
        "runner": {"max_workers": 2},
        "flow": [
            python_step("step1", code, output=out),
            python_step("step2", code, output=out),
            python_step("step3", code, output=out, depends_on=["step1"]),
            python_step("step4", code, output=out, depends_on=["step2"]),
        ],
    }


def test_a_reader_thread_sees_the_run_move_on():
    runner = LocalRunner(slow_flow())
    seen = []
    errors = []
    stop = threading.Event()

    def read():
        try:
            while not stop.is_set():
                status = runner.status
                states = {n: s.state for n, s in status.steps.items()}
                seen.append((status.started_at, status.ended_at, states, dict(runner.flows)))
                time.sleep(0.005)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    readers = [threading.Thread(target=read, daemon=True) for _ in range(3)]
    for t in readers:
        t.start()
    runner.run()
    stop.set()
    for t in readers:
        t.join(5)
    assert not errors
    # The readers ran during run(): the GIL was released.
    running = [s for s in seen if "running" in s[2].values()]
    assert running, "no reader saw a running step"
    for started_at, ended_at, states, _ in running:
        assert started_at is not None and ended_at is None
    assert any(s[3] and s[1] is None for s in seen), "outputs seen only after the end"
    assert any(set(s[2].values()) == {"succeeded"} for s in seen) or runner.status.ended_at
    assert all(s.state == "succeeded" for s in runner.status.steps.values())


def test_step_objects_are_live():
    runner = LocalRunner(slow_flow(0.2))
    step = runner.status.steps["step3"]
    assert step.state == "pending"
    thread = threading.Thread(target=runner.run)
    thread.start()
    deadline = time.monotonic() + 10
    states = set()
    while thread.is_alive() and time.monotonic() < deadline:
        states.add(step.state)
        time.sleep(0.01)
    thread.join()
    states.add(step.state)
    assert {"pending", "running", "succeeded"} <= states


def test_cancel_from_another_thread_ends_the_run():
    runner = LocalRunner({"flow": [python_step("long", "import time; time.sleep(30)")]})
    threading.Timer(0.3, runner.cancel).start()
    start = time.monotonic()
    runner.run()
    assert time.monotonic() - start < 10
    assert runner.status.steps["long"].state in ("failed", "skipped")
    assert runner.status.outcome == "cancelled"


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_ctrl_c_cancels_the_run_and_raises_keyboard_interrupt():
    runner = LocalRunner(
        {
            "flow": [
                python_step("long", "import time; time.sleep(30)"),
                python_step("later", "print(1)", depends_on=["long"]),
            ]
        }
    )
    # Python raises KeyboardInterrupt only with its own handler in place,
    # which it does not install when started with SIGINT ignored (as the
    # background jobs of a shell without job control are).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
    start = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            runner.run()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - start < 10
    assert runner.status.ended_at is not None
    assert runner.status.steps["later"].state == "skipped"
