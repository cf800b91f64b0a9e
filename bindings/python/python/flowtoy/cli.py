"""The seed's programmatic entry point, ``run_flow``.

The command-line tool itself is the ``flowtoy`` binary of the Rust
project (``cargo install``); this module keeps the seed's helper.
"""

from __future__ import annotations

import os
from . import _flowtoy

TYPE_CHECKING = False  # `typing` is for checkers only: importing it is slow
if TYPE_CHECKING:
    from typing import Any, Dict, Sequence, Tuple, Union

    from .runner import RunStatus

    PathLike = Union[str, "os.PathLike[str]"]


def run_flow(
    config_paths: Union[PathLike, Sequence[PathLike]],
) -> Tuple[Dict[str, Dict[str, Any]], RunStatus]:
    """Loads the YAML files (merged left to right), runs the flow, and returns
    ``(flows, status)``: the outputs of the steps that succeeded, step name →
    {output name → value}, and the run's final ``RunStatus``.

    Raises ``flowtoy.ConfigError`` (a ``ValueError``) listing every problem
    of the configuration, with file and line, before any step runs. A run in
    which steps fail does not raise: their states say so.
    """
    if isinstance(config_paths, (str, os.PathLike)):
        config_paths = [config_paths]
    runner = _flowtoy.Runner.from_files([os.fspath(p) for p in config_paths])
    runner.run()
    return runner.flows(), runner.status


__all__ = ["run_flow"]
