"""Loading configuration files into a plain dict (SPEC R1)."""

from __future__ import annotations

import copy
import os
from . import _flowtoy

TYPE_CHECKING = False  # `typing` is for checkers only: importing it is slow
if TYPE_CHECKING:
    from typing import Any, Dict, List, Sequence, Union

    PathLike = Union[str, "os.PathLike[str]"]


def load_yaml_files(paths: Union[PathLike, Sequence[PathLike]]) -> Dict[str, Any]:
    """Reads YAML files and merges them left to right into one plain dict:
    mappings merge recursively, anything else (lists, scalars) is replaced by
    the later file. An empty file counts as an empty mapping.

    Nothing is validated here (``LocalRunner`` does that). Raises
    ``FileNotFoundError`` (or another ``OSError``) for a file that cannot be
    read and ``flowtoy.ConfigError`` (a ``ValueError``) for one that is not
    YAML with a mapping at the top, naming the file and line.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return _flowtoy.load_yaml_files([os.fspath(p) for p in paths])


def deep_merge(a: Dict[str, Any], b: Dict[str, Any]) -> Dict[str, Any]:
    """A new dict: ``b`` merged into ``a`` by the rule of ``load_yaml_files``."""
    out = copy.deepcopy(a)
    for key, value in (b or {}).items():
        if isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def get_flow_steps(cfg: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The configuration's ``flow`` list (empty when absent)."""
    return cfg.get("flow", []) or []


def get_sources(cfg: Dict[str, Any]) -> Dict[str, Any]:
    """The configuration's ``sources`` mapping (empty when absent)."""
    return cfg.get("sources", {}) or {}


__all__ = ["deep_merge", "get_flow_steps", "get_sources", "load_yaml_files"]
