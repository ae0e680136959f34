"""Handler dependencies: the running Core, declared explicitly for Litestar's injector."""

from __future__ import annotations

from litestar.di import NamedDependency

from faceforge_adapters.bootstrap import Core

CoreDep = NamedDependency[Core]
