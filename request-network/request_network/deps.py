"""Annotated dependencies of the request network's routes."""

from core.deps import RuntimeDep, UnitOfWorkDep

__all__ = ["RuntimeDep", "UnitOfWorkDep"]
