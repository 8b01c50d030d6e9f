"""The registry: every solver in preference order, with capabilities and availability.

A solver's module is imported only when it runs, so a missing optional library disables that solver
(greyed out in the window, listed with the reason on the command line) and nothing else.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

from core.errors import RematError
from solvers.base import SolveFn


@dataclass(frozen=True)
class SolverInfo:
    name: str
    description: str
    #: ``module:function`` implementing the contract of :mod:`solvers.base`.
    entry_point: str
    exact: bool = False
    multi_device: bool = False
    paging: bool = False
    energy: bool = False
    #: Import names of the libraries the solver needs.
    requires: tuple[str, ...] = ()

    def availability(self) -> tuple[bool, str]:
        """``(True, "")``, or ``(False, reason)`` naming the missing library."""
        for library in self.requires:
            if importlib.util.find_spec(library) is None:
                return False, f"needs the Python package {library!r}, which is not installed"
        return True, ""

    def load(self) -> SolveFn:
        module_name, function_name = self.entry_point.split(":")
        module = importlib.import_module(module_name)
        fn: SolveFn = getattr(module, function_name)
        return fn


_SOLVERS: list[SolverInfo] = []


def register(info: SolverInfo) -> None:
    if any(s.name == info.name for s in _SOLVERS):
        raise ValueError(f"solver {info.name!r} registered twice")
    _SOLVERS.append(info)


def solvers() -> tuple[SolverInfo, ...]:
    """All registered solvers, in preference order."""
    return tuple(_SOLVERS)


def get(name: str) -> SolverInfo:
    for info in _SOLVERS:
        if info.name == name:
            return info
    valid = ", ".join(s.name for s in _SOLVERS)
    raise RematError(f"unknown solver {name!r}; valid solvers: {valid}")
