"""Running a flow: ``LocalRunner`` and its live ``RunStatus`` / ``StepStatus``
(SPEC R13–R15, R33)."""

from __future__ import annotations

from collections.abc import Mapping

from . import _flowtoy
from ._flowtoy import ConfigError
from ._flowtoy import RunStatus as RunStatus
from ._flowtoy import StepStatus as StepStatus

TYPE_CHECKING = False  # `typing` is for checkers only: importing it is slow
if TYPE_CHECKING:
    from typing import Any, Dict, List


class LocalRunner:
    """Runs one flow given as a configuration dict, once.

    Making a runner never raises for problems in the flow; ``run()`` raises
    ``flowtoy.ConfigError`` (a ``ValueError``) listing all of them, before
    any step starts. ``status`` and ``flows`` may be read from other threads
    while ``run()`` goes on: ``run()`` releases the GIL.

    Attributes:
        config: the dict given.
        sources: its ``sources`` mapping (``{}`` when absent).
        steps: its ``flow`` list (``[]`` when absent).
        status: the live ``RunStatus``.
    """

    config: Mapping[str, Any]
    sources: Mapping[str, Any]
    steps: List[Any]
    status: RunStatus

    def __init__(self, config: Mapping[str, Any]) -> None:
        if not isinstance(config, Mapping):
            raise TypeError(
                f"LocalRunner takes a configuration mapping, not {type(config).__name__}"
            )
        self.config = config
        self.sources = config.get("sources") or {}
        self.steps = config.get("flow") or []
        self._native = _flowtoy.Runner(config)
        self.status = self._native.status

    @property
    def flows(self) -> Dict[str, Dict[str, Any]]:
        """The outputs of the steps that have succeeded so far, step name →
        {output name → value}: a new dict at each read."""
        return self._native.flows()

    def run(self) -> None:
        """Runs the flow to its end (blocking; the GIL is released meanwhile).

        Raises ``flowtoy.ConfigError`` for a configuration with problems and
        ``RuntimeError`` when the runner has run already. Failed steps do not
        raise: their states say so. Ctrl-C cancels the run (running programs
        are killed, pending steps skipped) and raises ``KeyboardInterrupt``.
        """
        self._native.run()

    def cancel(self) -> None:
        """Cancels the run from any thread: running programs are killed and
        pending steps become ``skipped``."""
        self._native.cancel()

    def __repr__(self) -> str:
        return f"<LocalRunner steps={len(self.steps)} status={self.status!r}>"


__all__ = ["ConfigError", "LocalRunner", "RunStatus", "StepStatus"]
