"""flowtoy.runner.LocalRunner on a configuration dict."""

from __future__ import annotations

import json
import time

import pytest

import flowtoy
from flowtoy.runner import LocalRunner, RunStatus, StepStatus

from conftest import PYTHON, python_step


def env_flow():
    return {
        "sources": {"dummy": {"type": "env", "configuration": {"vars": []}}},
        "flow": [
            {"name": "step1", "source": "dummy", "output": [{"name": "data", "type": "json"}]},
            {
                "name": "step2",
                "source": "dummy",
                "depends_on": ["step1"],
                "input": {"type": "parameter", "value": "{{ flows.step1.data }}"},
                "output": [],
            },
        ],
    }


def test_attributes_mirror_the_config():
    config = env_flow()
    runner = LocalRunner(config)
    assert runner.config is config
    assert runner.sources is config["sources"]
    assert runner.steps is config["flow"]
    assert isinstance(runner.status, RunStatus)
    assert runner.status is runner.status
    empty = LocalRunner({})
    assert empty.sources == {} and empty.steps == [] and empty.flows == {}


def test_status_before_and_after_run():
    runner = LocalRunner(env_flow())
    assert runner.status.started_at is None
    assert runner.status.ended_at is None
    assert runner.status.run_id > 1_600_000_000_000
    assert [s.state for s in runner.status.steps.values()] == ["pending", "pending"]
    runner.run()
    status = runner.status
    assert status.started_at is not None and status.ended_at >= status.started_at
    step = status.steps["step2"]
    assert (step.name, step.state, step.error) == ("step2", "succeeded", None)
    assert status.steps["step1"].ended_at <= step.started_at
    assert status.steps["step1"].outputs == ["data"]


def test_flows_and_steps_behave_as_dicts():
    runner = LocalRunner(env_flow())
    runner.run()
    flows = runner.flows
    assert "step1" in flows and "nope" not in flows
    assert flows["step1"] == {"data": {}}
    assert flows.get("step2") == {} and flows.get("nope", 7) == 7
    assert dict(flows.items()) == {"step1": {"data": {}}, "step2": {}}
    assert json.loads(json.dumps(flows)) == flows
    steps = runner.status.steps
    assert "step1" in steps and steps.get("nope") is None
    assert [name for name, _ in steps.items()] == ["step1", "step2"]
    assert set(dict(steps)) == {"step1", "step2"}
    assert len(steps) == 2


def test_missing_dependencies_raise_value_error_from_run_not_from_init():
    config = {
        "sources": {},
        "flow": [
            {"name": "step1", "source": "env", "depends_on": ["missing1", "missing2"]},
            {"name": "step2", "source": "env", "depends_on": ["missing3"]},
            {"name": "step3", "source": "env", "input": "{{ flows.ghost.x }}"},
        ],
    }
    runner = LocalRunner(config)  # does not raise
    with pytest.raises(ValueError) as raised:
        runner.run()
    assert isinstance(raised.value, flowtoy.ConfigError)
    assert str(raised.value) == (
        "Flow configuration has invalid dependencies:\n"
        "  - Step 'step1' depends on missing step(s): 'missing1', 'missing2'\n"
        "  - Step 'step2' depends on missing step(s): 'missing3'\n"
        "  - Step 'step3' depends on missing step(s): 'ghost'"
    )
    assert runner.status.started_at is None
    assert runner.status.steps == {}
    # Raised again on every try, nothing ever runs.
    with pytest.raises(flowtoy.ConfigError):
        runner.run()


def test_every_problem_is_listed_at_once():
    config = {
        "flow": [
            {"name": "a"},
            {"name": "a", "source": "env"},
            {"name": "b", "source": "nosuchtype", "on_error": "explode"},
            {"name": "c", "source": "env", "depends_on": ["zzz"]},
        ]
    }
    with pytest.raises(ValueError) as raised:
        LocalRunner(config).run()
    message = str(raised.value)
    for part in ["'a'", "source", "duplicate", "nosuchtype", "explode", "'zzz'"]:
        assert part in message, (part, message)
    assert "invalid dependencies" in message
    assert len(raised.value.problems) >= 5


def test_values_that_are_not_json_like_are_a_config_error():
    runner = LocalRunner({"flow": [{"name": "a", "source": "env", "input": {"x": {1, 2}}}]})
    with pytest.raises(flowtoy.ConfigError, match=r"flow\[0\]\.input\.x: a value of type set"):
        runner.run()
    with pytest.raises(TypeError):
        LocalRunner(["not", "a", "mapping"])  # type: ignore[arg-type]


def test_cycles_are_detected_instead_of_hanging():
    runner = LocalRunner(
        {"flow": [{"name": "step1", "source": "env", "input": "{{ flows.step1.x }}"}]}
    )
    with pytest.raises(ValueError, match="step1 -> step1"):
        runner.run()


def test_python_c_process_steps_behave_as_in_the_cli():
    steps = [
        python_step(
            "json_out",
            "import json; print(json.dumps({'v': [1, 2]}))",
            output=[{"name": "v", "type": "jmespath", "value": "v"}],
        ),
        python_step("text_out", "print('hello')", output=[{"name": "text"}]),
        python_step(
            "args",
            "import sys; print(sys.argv[1:])",
            input={"type": "parameter", "value": "{{ flows.text_out.text }}"},
            output=[{"name": "argv"}],
        ),
        {
            "name": "stdin",
            "source": {
                "type": "process",
                "configuration": {
                    "command": [PYTHON, "-c", "import sys; print(sys.stdin.read().upper(), end='')"],
                    "pass_to": "stdin",
                },
            },
            "input": "piped",
            "output": [{"name": "out"}],
        },
    ]
    runner = LocalRunner({"flow": steps})
    runner.run()
    assert runner.flows == {
        "json_out": {"v": [1, 2]},
        "text_out": {"text": "hello"},
        "args": {"argv": "['hello']"},
        "stdin": {"out": "PIPED"},
    }


def test_on_error_policies(make_runner):
    steps = [
        # It fails after a while, once `continued` has surely started (a
        # failure under `fail` starts no new step, R14).
        python_step("will_fail", "import sys, time; time.sleep(0.2); sys.exit(2)"),
        python_step("skipped_dep", "print('x')", depends_on=["will_fail"], on_error="skip"),
        python_step("continued", "print('ok')", on_error="continue"),
    ]
    runner = make_runner(steps, runner_conf={"max_workers": 2, "on_error": "fail"})
    runner.run()
    states = {name: s.state for name, s in runner.status.steps.items()}
    assert states == {"will_fail": "failed", "skipped_dep": "skipped", "continued": "succeeded"}
    assert "2" in runner.status.steps["will_fail"].error


def test_parallel_steps_overlap(make_runner):
    steps = [python_step(n, "import time; time.sleep(0.3)") for n in ("x", "y")]
    runner = make_runner(steps, runner_conf={"max_workers": 4})
    start = time.monotonic()
    runner.run()
    assert time.monotonic() - start < 0.55
    x, y = runner.status.steps["x"], runner.status.steps["y"]
    assert x.started_at < y.ended_at and y.started_at < x.ended_at


def test_a_runner_runs_once():
    runner = LocalRunner(env_flow())
    runner.run()
    with pytest.raises(RuntimeError, match="already run"):
        runner.run()


def test_standalone_status_objects():
    status = RunStatus()
    assert status.started_at is None and status.steps == {}
    step = StepStatus("s")
    assert (step.name, step.state, step.started_at, step.error) == ("s", "pending", None, None)
    assert "state='pending'" in repr(step)
