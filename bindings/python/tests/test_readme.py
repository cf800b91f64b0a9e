"""The package README's examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import flowtoy

README = Path(__file__).resolve().parent.parent / "README.md"


def blocks(language: str):
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


@pytest.fixture(autouse=True)
def forget_registered():
    yield
    for name in flowtoy.registered_providers():
        flowtoy.unregister_provider(name)


def test_the_readme_examples_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("USER", "alice")
    (tmp_path / "flow.yaml").write_text(blocks("yaml")[0], encoding="utf-8")
    examples = blocks("python")
    assert len(examples) == 3
    for code in examples:
        exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "Hello, alice!" in out
    assert "1 steps completed" not in out and "2 steps completed" in out
    assert "Step 'step2' depends on missing step(s): 'missing1'" in out
    assert "{'loud': {'text': 'HELLO THERE!!'}, 'count': {'n': 2}}" in out
    assert "nothing to shout" in out
