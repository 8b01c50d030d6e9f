"""The registry: every solver it names exists, in preference order, with honest capabilities."""

from __future__ import annotations

import inspect

import pytest

import solvers
from core.errors import RematError


@pytest.mark.parametrize("info", solvers.solvers(), ids=lambda info: info.name)
def test_every_registered_solver_loads_with_the_contract_signature(info: solvers.SolverInfo) -> None:
    available, reason = info.availability()
    assert available, reason  # every library the project depends on is installed
    fn = info.load()
    parameters = inspect.signature(fn).parameters
    assert list(parameters)[:2] == ["problem", "options"]
    assert {"on_progress", "cancel"} <= {n for n, p in parameters.items() if p.kind is p.KEYWORD_ONLY}


def test_preference_order_puts_the_exact_one_device_solver_first() -> None:
    names = [info.name for info in solvers.solvers()]
    assert names[0] == "checkmate-highs" and len(set(names)) == len(names)
    multi = [info.name for info in solvers.solvers() if info.multi_device]
    assert multi[:2] == ["milp-highs", "milp-scip"] and "greedy" in multi


def test_a_missing_library_makes_a_solver_unavailable_with_the_reason() -> None:
    info = solvers.SolverInfo("x", "x", "solvers.baseline:solve", requires=("no_such_solver_library",))
    assert info.availability() == (False, "needs the Python package 'no_such_solver_library', which is not "
                                          "installed")


def test_unknown_solver_names_the_valid_ones() -> None:
    with pytest.raises(RematError, match="valid solvers: checkmate-highs, checkmate-scip"):
        solvers.get("simplex-magic")
