"""The same flow gives the same outputs from Python as from the `flowtoy` binary
(FLOWTOY_BIN names it; the workspace's tests/python.rs sets it)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from flowtoy.cli import run_flow

from conftest import PYTHON

FLOWTOY_BIN = os.environ.get("FLOWTOY_BIN")


@pytest.mark.skipif(not FLOWTOY_BIN, reason="FLOWTOY_BIN is not set")
def test_outputs_match_the_binary(write_yaml):
    path = write_yaml(
        "flow.yaml",
        f"""
        sources:
          py: {{type: process, configuration: {{command: ["{PYTHON}", "-c"]}}}}
        flow:
          - name: data
            source: py
            input: "import json; print(json.dumps({{'items': [1, 2, 3], 'name': 'x'}}))"
            output:
              - {{name: items, type: jmespath, value: items}}
              - {{name: all, type: json}}
          - name: text
            source: py
            input: "print('two\\\\nlines')"
            output: [{{name: text}}]
          - name: shout
            source: {{type: process, configuration: {{command: [echo]}}}}
            input: "{{{{ flows.data.all.name | upper }}}}-{{{{ flows.data.items | length }}}}"
            output: [{{name: out}}]
        """,
    )
    flows, status = run_flow([path])
    cli = subprocess.run(
        [FLOWTOY_BIN, "run", "--no-history", "-j", path], capture_output=True, text=True, check=True
    )
    assert json.loads(cli.stdout) == flows
    assert flows["text"]["text"] == "two\nlines"
    assert flows["shout"]["out"] == "X-3"
    assert all(s.state == "succeeded" for s in status.steps.values())
