"""Fixtures shared by the flowtoy package's tests."""

from __future__ import annotations

import json
import socket
import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

from flowtoy.runner import LocalRunner

PYTHON = sys.executable


def python_step(name: str, code: str, **extra: Any) -> Dict[str, Any]:
    """A step running ``python -c CODE`` through the process provider."""
    step = {
        "name": name,
        "source": {"type": "process", "configuration": {"command": [PYTHON, "-c", code]}},
    }
    step.update(extra)
    return step


@pytest.fixture
def make_runner() -> Callable[..., LocalRunner]:
    """``make_runner(steps, runner_conf=None, sources=None)`` → a LocalRunner."""

    def make(
        steps: List[Dict[str, Any]],
        runner_conf: Optional[Dict[str, Any]] = None,
        sources: Optional[Dict[str, Any]] = None,
    ) -> LocalRunner:
        config: Dict[str, Any] = {"sources": sources or {}, "flow": steps}
        if runner_conf:
            config["runner"] = runner_conf
        return LocalRunner(config)

    return make


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[[str, str], str]:
    """``write_yaml(name, text)`` writes a dedented file and returns its path."""

    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return str(path)

    return write


def get_json(url: str, timeout: float = 5.0) -> Any:
    """GET ``url`` and parse the JSON answer."""
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        return json.loads(reply.read().decode("utf-8"))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
