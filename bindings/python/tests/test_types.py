"""The package ships its types: py.typed and stubs for the extension module."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import flowtoy
from flowtoy import _flowtoy

PACKAGE = Path(flowtoy.__file__).parent


def test_py_typed_and_stub_are_installed():
    assert (PACKAGE / "py.typed").is_file()
    assert (PACKAGE / "_flowtoy.pyi").is_file()


def test_the_stub_covers_every_public_name_of_the_extension_module():
    tree = ast.parse((PACKAGE / "_flowtoy.pyi").read_text(encoding="utf-8"))
    stubbed = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            stubbed.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            stubbed.add(node.target.id)
    public = {n for n in dir(_flowtoy) if not n.startswith("_")} | {"__version__"}
    assert public == stubbed


def test_the_seed_names_are_where_the_seed_had_them():
    from flowtoy.cli import run_flow
    from flowtoy.config import load_yaml_files
    from flowtoy.runner import LocalRunner, RunStatus, StepStatus
    from flowtoy.runner_api import LogCapture, serve_runner_api_in_thread

    assert list(inspect.signature(serve_runner_api_in_thread).parameters) == [
        "runner",
        "host",
        "port",
        "log_level",
        "log_capture",
    ]
    sig = inspect.signature(serve_runner_api_in_thread)
    assert sig.parameters["host"].default == "127.0.0.1"
    assert sig.parameters["port"].default == 0
    assert sig.parameters["log_level"].default == "info"
    assert sig.parameters["log_capture"].default is None
    assert inspect.signature(LogCapture).parameters["maxlen"].default == 100
    assert callable(run_flow) and callable(load_yaml_files)
    assert {"run", "flows"} <= set(dir(LocalRunner))
    assert {"run_id", "started_at", "ended_at", "steps"} <= set(dir(RunStatus))
    assert {"name", "state", "started_at", "ended_at", "error"} <= set(dir(StepStatus))
    assert issubclass(flowtoy.ConfigError, ValueError)
