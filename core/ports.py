"""Ports: an interface a lower package declares and a higher one implements, connected once
by the composition root (`oms.app.wire`), so that the lower package calls up without importing
up (fulfillment and returns reach orders this way)."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Port(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._impl: T | None = None

    def wire(self, impl: T) -> None:
        self._impl = impl

    def get(self) -> T:
        if self._impl is None:
            raise RuntimeError(f"{self.name} is not wired: build the app with "
                               "oms.app.create_app() (or call oms.app.wire())")
        return self._impl
