"""The shape both MILP families share (one device, several devices), as the backends read it."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import scipy.sparse as sp


class ArrayModel(Protocol):
    """A MILP as arrays: ``min cost @ x`` with column bounds and ``row_lower <= matrix @ x <= row_upper``."""

    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integral: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray

    @property
    def matrix(self) -> sp.spmatrix: ...
