"""flowtoy.config.load_yaml_files: YAML files merged into one plain dict."""

from __future__ import annotations

import pytest

import flowtoy
from flowtoy.config import deep_merge, get_flow_steps, get_sources, load_yaml_files


def test_files_merge_left_to_right_into_a_plain_dict(write_yaml):
    first = write_yaml(
        "first.yaml",
        """
        sources:
          api: {type: rest, configuration: {url: "http://a", timeout: 5}}
        flow:
          - {name: a, source: api}
        runner: {max_workers: 2}
        """,
    )
    second = write_yaml(
        "second.yaml",
        """
        sources:
          api: {configuration: {url: "http://b"}}
        flow:
          - {name: b, source: api}
        """,
    )
    merged = load_yaml_files([first, second])
    assert type(merged) is dict
    assert merged == {
        "sources": {"api": {"type": "rest", "configuration": {"url": "http://b", "timeout": 5}}},
        "flow": [{"name": "b", "source": "api"}],
        "runner": {"max_workers": 2},
    }
    assert list(merged) == ["sources", "flow", "runner"]


def test_values_keep_their_yaml_types(write_yaml):
    path = write_yaml("v.yaml", "a: 1\nb: 2.5\nc: true\nd: null\ne: [x, 'y']\nf: '3'\n")
    assert load_yaml_files([path]) == {
        "a": 1,
        "b": 2.5,
        "c": True,
        "d": None,
        "e": ["x", "y"],
        "f": "3",
    }


def test_an_empty_file_is_an_empty_mapping(write_yaml):
    assert load_yaml_files([write_yaml("empty.yaml", "")]) == {}
    assert load_yaml_files([]) == {}


def test_a_missing_file_is_file_not_found(tmp_path):
    missing = tmp_path / "missing.yaml"
    with pytest.raises(FileNotFoundError) as raised:
        load_yaml_files([str(missing)])
    assert raised.value.filename == str(missing)


def test_bad_yaml_and_a_non_mapping_name_the_file(write_yaml):
    bad = write_yaml("bad.yaml", "flow:\n  - [unclosed\n")
    with pytest.raises(flowtoy.ConfigError, match="bad.yaml:"):
        load_yaml_files([bad])
    listing = write_yaml("list.yaml", "- a\n- b\n")
    with pytest.raises(ValueError, match="list.yaml: the top level must be a mapping"):
        load_yaml_files([listing])


def test_helpers_of_the_seed():
    a = {"x": {"y": 1, "z": [1]}, "k": 1}
    b = {"x": {"z": [2]}, "k": {"new": True}}
    assert deep_merge(a, b) == {"x": {"y": 1, "z": [2]}, "k": {"new": True}}
    assert a == {"x": {"y": 1, "z": [1]}, "k": 1}
    assert get_flow_steps({}) == [] and get_flow_steps({"flow": None}) == []
    assert get_sources({"sources": {"s": {}}}) == {"s": {}}
