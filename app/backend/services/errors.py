"""What can go wrong in the services, independent of HTTP (`app/backend/errors.py` maps it to statuses)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class ServiceError(Exception):
    """Base class; `message` is safe to show to a client (no paths outside the configured ones)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unavailable(ServiceError):
    """The store or the catalog is missing or cannot be read right now (503)."""


class InvalidParameter(ServiceError):
    """A parameter names something this model or image does not have (400); says what is allowed:
    a list of values, or an inclusive `{"min": .., "max": ..}` range."""

    def __init__(self, parameter: str, message: str, allowed: Sequence[object] | Mapping[str, int]) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.allowed = allowed


class ImageUnreadable(ServiceError):
    """The gallery file of an image cannot be decoded, or is gone (422)."""


class DamagedMaps(ServiceError):
    """Maps the catalog says are finished cannot be read back from the store: a chunk is missing
    or does not decode (409, with the precompute command that recomputes them)."""
