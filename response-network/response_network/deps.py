"""Annotated dependencies of the response network's routes."""

from core.deps import RuntimeDep, UnitOfWorkDep

__all__ = ["RuntimeDep", "UnitOfWorkDep"]
