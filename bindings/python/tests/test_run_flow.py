"""flowtoy.cli.run_flow: files in, (flows, status) out."""

from __future__ import annotations

from pathlib import Path

import pytest

import flowtoy
from flowtoy.cli import run_flow
from flowtoy.runner import RunStatus, StepStatus

FLOW = """
sources:
  home: {type: env, configuration: {vars: [HOME]}}
flow:
  - name: whoami
    source: home
    output: [{name: home, type: jmespath, value: HOME}]
  - name: greet
    source: {type: process, configuration: {command: [echo]}}
    input: "Hello, {{ flows.whoami.home }}!"
    output: [{name: text}]
"""


def test_run_flow_returns_outputs_and_final_status(write_yaml, monkeypatch):
    monkeypatch.setenv("HOME", "/home/alice")
    flows, status = run_flow([write_yaml("flow.yaml", FLOW)])
    assert type(flows) is dict
    assert flows == {
        "whoami": {"home": "/home/alice"},
        "greet": {"text": "Hello, /home/alice!"},
    }
    assert isinstance(status, RunStatus)
    assert set(status.steps) == {"whoami", "greet"}
    assert all(isinstance(s, StepStatus) for s in status.steps.values())
    assert [s.state for s in status.steps.values()] == ["succeeded", "succeeded"]
    assert status.started_at <= status.steps["whoami"].started_at
    assert status.steps["greet"].ended_at <= status.ended_at
    assert status.outcome == "completed"


def test_later_files_win(write_yaml):
    base = write_yaml("base.yaml", FLOW)
    override = write_yaml(
        "override.yaml",
        """
        sources:
          home: {configuration: {vars: [FLOWTOY_TEST_NOT_SET]}}
        """,
    )
    flows, _ = run_flow([base, Path(override)])
    assert flows["whoami"] == {"home": None}


def test_a_single_path_is_accepted(write_yaml):
    flows, _ = run_flow(write_yaml("flow.yaml", FLOW))
    assert "greet" in flows


def test_problems_raise_with_file_and_line_before_anything_runs(write_yaml):
    path = write_yaml(
        "bad.yaml",
        """
        flow:
          - name: a
            source: env
            on_error: explode
          - name: b
            source: env
            depends_on: [nowhere]
        """,
    )
    with pytest.raises(ValueError) as raised:
        run_flow([path])
    assert isinstance(raised.value, flowtoy.ConfigError)
    message = str(raised.value)
    assert f"{path}:3: step 'a'" in message and "explode" in message
    assert "Flow configuration has invalid dependencies:" in message
    assert "  - Step 'b' depends on missing step(s): 'nowhere'" in message
    kinds = {p["kind"] for p in raised.value.problems}
    assert "missing_dependency" in kinds


def test_a_failed_step_does_not_raise(write_yaml):
    path = write_yaml(
        "fails.yaml",
        """
        flow:
          - name: bad
            source: {type: process, configuration: {command: ["false"]}}
          - name: after
            source: env
            depends_on: [bad]
        """,
    )
    flows, status = run_flow([path])
    assert flows == {}
    assert status.steps["bad"].state == "failed"
    assert status.steps["bad"].error
    assert status.steps["after"].state == "skipped"
    assert status.outcome == "halted"
