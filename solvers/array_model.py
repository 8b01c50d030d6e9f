"""The shape both MILP families share (one device, several devices), as the backends read it."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import scipy.sparse as sp


class ArrayModel(Protocol):
    """A MILP as arrays: ``min cost @ x`` with column bounds and ``row_lower <= matrix @ x <= row_upper``."""

    @property
    def cost(self) -> np.ndarray: ...

    @property
    def col_lower(self) -> np.ndarray: ...

    @property
    def col_upper(self) -> np.ndarray: ...

    @property
    def integral(self) -> np.ndarray: ...

    @property
    def row_lower(self) -> np.ndarray: ...

    @property
    def row_upper(self) -> np.ndarray: ...

    @property
    def matrix(self) -> sp.spmatrix: ...
