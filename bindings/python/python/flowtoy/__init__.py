"""flowtoy: run data flows described in YAML, on the Rust engine.

The seed's programmatic API, with the same module paths and meanings:

- ``flowtoy.cli.run_flow(paths) -> (flows, status)``
- ``flowtoy.config.load_yaml_files(paths) -> dict``
- ``flowtoy.runner.LocalRunner(config)``, ``RunStatus``, ``StepStatus``
- ``flowtoy.runner_api.serve_runner_api_in_thread(runner, ...)``, ``LogCapture``

and, new here, provider types written in Python:
``flowtoy.register_provider(name, class_or_callable)``.
"""

from __future__ import annotations

from ._flowtoy import ConfigError, registered_providers, unregister_provider
from ._flowtoy import __version__ as __version__
from ._flowtoy import register_provider as _register_provider

# Types for checkers only (`__init__.pyi` has the overloads): importing
# `typing` would double the package's import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional, TypeVar

    P = TypeVar("P", bound=Callable[..., Any])


def register_provider(
    name: str,
    provider: Optional[Any] = None,
    *,
    description: Optional[str] = None,
    version: Optional[str] = None,
) -> Any:
    """Makes ``provider`` the provider type ``name`` for runners made afterwards.

    ``provider`` is either a class, built as ``provider(configuration)`` whose
    ``call(payload)`` method is called, or any other callable, called as
    ``provider(configuration, payload)``. It returns the step's data, or a
    whole result ``{"status": {"success", "code", "notes"}, "data", "meta"}``;
    raising fails the step with the exception's message. A type named like a
    built-in (``env``, ``process``, ``rest``) replaces it.

    Without ``provider`` it returns a decorator::

        @flowtoy.register_provider("greeting")
        def greeting(configuration, payload):
            return f"{configuration.get('word', 'hello')}, {payload}"
    """
    if provider is None:

        def decorate(target: P) -> P:
            _register_provider(name, target, description=description, version=version)
            return target

        return decorate
    _register_provider(name, provider, description=description, version=version)
    return provider


__all__ = [
    "ConfigError",
    "__version__",
    "register_provider",
    "registered_providers",
    "unregister_provider",
]
