"""Types of the ``flowtoy`` package's top level."""

from typing import Any, Callable, Optional, TypeVar, overload

from ._flowtoy import ConfigError as ConfigError
from ._flowtoy import __version__ as __version__
from ._flowtoy import registered_providers as registered_providers
from ._flowtoy import unregister_provider as unregister_provider

P = TypeVar("P", bound=Callable[..., Any])

@overload
def register_provider(
    name: str,
    provider: P,
    *,
    description: Optional[str] = None,
    version: Optional[str] = None,
) -> P: ...
@overload
def register_provider(
    name: str,
    provider: None = None,
    *,
    description: Optional[str] = None,
    version: Optional[str] = None,
) -> Callable[[P], P]: ...

__all__ = [
    "ConfigError",
    "__version__",
    "register_provider",
    "registered_providers",
    "unregister_provider",
]
