"""The several-device MILP (FORMULATIONS.md sections 2 and 3), independent of any solver library.

Stages t = 0..n-1 advance a frontier: stage t computes node t for the first time, on exactly one
device, plus whatever it recomputes first. Within a stage, positions k = 0..t follow node ids; at
position k, node k is computed on the devices where ``R`` says so and then copied along the links
where ``X`` says so. Variables (all binary except U and FREE):

- ``R[d,t,i]``: node i is computed on device d in stage t (i <= t).
- ``S[m,t,i]``: buffer i is resident in memory m at the start of stage t (i < t).
- ``X[l,t,i]``: buffer i is copied along link l at position i of stage t. It is charged once, counts
  in the receiving memory from that position, and can be read there like a computed buffer. Into a
  storage memory it is a page-out, out of one a page-in (POET).
- ``U[m,t,k]`` (continuous): bytes in use in device memory m at position k of stage t, static memory
  excluded (the bound is ``budget - static``). Devices sharing a memory share its rows.
- ``FREE[m,t,i,j]`` (continuous in [0, 1], integral at integral R/S/X): buffer i is released from
  memory m right after position j, its last touch in the stage, when it is not kept for stage t+1.

- ``Y[l,t,k,i]``: over a direct-access link l, node k (computed in stage t by a device of l's
  destination memory) reads its input i where i lives, in l's source memory: one transfer charged
  per read, no room taken in the destination (see :class:`core.system.Link`).

- ``P[m,o]`` (problems that place parameters): the weights of operator o, with their gradients and
  optimizer state, live in device memory m for the whole step; o and its backward node run only on
  devices of m. ``Q[m]`` (continuous) is what they take there; it counts in every ``U[m,t,k]``.

A buffer *arrives* in memory m at position i when a device of m computes it or a copy brings it:
``A[m,t,i] = sum_{d in m} R[d,t,i] + sum_{l -> m} X[l,t,i]``.
"""

from __future__ import annotations

import math

import numpy as np

from core.problem import Objective, SchedulingProblem
from solvers.array_model import ArrayBuilder
from solvers.multidevice.arrays import MultiDeviceMilp, byte_unit


def build_milp(problem: SchedulingProblem) -> MultiDeviceMilp:
    """Build the linear several-device model of ``problem`` (one stage per node)."""
    return _Formulation(problem).build()


class _Formulation:
    def __init__(self, problem: SchedulingProblem) -> None:
        self.p = problem
        self.b = ArrayBuilder()
        self.n = problem.n_nodes
        self.unit = byte_unit(problem)
        # Bytes are rounded up and budgets down, so a schedule that fits in units fits in bytes.
        self.size = [math.ceil(node.size_bytes / self.unit) for node in problem.graph.nodes]
        self.devices_of = [
            [d for d in range(problem.n_devices) if problem.device_memory[d] == m]
            for m in range(problem.n_memories)
        ]
        self.links = sorted(problem.link_index.items(), key=lambda item: item[1])
        self.into: list[list[int]] = [[] for _ in range(problem.n_memories)]
        for (_, dst), link in self.links:
            self.into[dst].append(link)
        shape = (problem.n_devices, self.n, self.n)
        self.R = np.full(shape, -1, dtype=np.int64)
        self.S = np.full((problem.n_memories, self.n, self.n), -1, dtype=np.int64)
        self.X = np.full((len(self.links), self.n, self.n), -1, dtype=np.int64)
        self.U = np.full((problem.n_memories, self.n, self.n), -1, dtype=np.int64)
        self.free_meta: list[tuple[int, int, int, int, int]] = []
        self.direct = [link for (_, _), link in self.links if problem.system.links[link].direct_access]
        self.ends = {link: pair for pair, link in self.links}
        #: (link, stage, reader, input) -> Y column.
        self.Y: dict[tuple[int, int, int, int], int] = {}
        owners = problem.parameter_owner if problem.place_parameters else ()
        self.owners = sorted({o for o in owners if o is not None})
        #: No memory ever holds more units than every buffer and every weight at once.
        self.most_units = sum(self.size) + sum(self._units(problem.graph.nodes[o].param_state_bytes)
                                               for o in self.owners)
        #: (memory, owner) -> P column; memory -> Q column.
        self.P: dict[tuple[int, int], int] = {}
        self.Q: dict[int, int] = {}

    # ----------------------------------------------------------------------------- variables
    def _columns(self) -> dict[str, tuple[int, int]]:
        p, b, n = self.p, self.b, self.n
        energy = p.objective is Objective.ENERGY
        compute = p.costs.compute_energy_j if energy else p.costs.compute_time_s
        copy = p.costs.copy_energy_j if energy else p.costs.copy_time_s
        kinds: dict[str, tuple[int, int]] = {}
        start = len(b.cost)
        for d in range(p.n_devices):
            for t in range(n):
                for i in range(t + 1):
                    self.R[d, t, i] = b.col(float(compute[i, d]))
        kinds["R"] = (start, len(b.cost))
        start = len(b.cost)
        for m in range(p.n_memories):
            for t in range(1, n):
                for i in range(t):
                    self.S[m, t, i] = b.col(0.0)
        kinds["S"] = (start, len(b.cost))
        start = len(b.cost)
        for (src, _dst), link in self.links:
            if not p.system.links[link].allows_copies:
                continue  # direct reads only
            computes_here = bool(self.devices_of[src])
            for t in range(n):
                for i in range(t + 1 if computes_here else t):
                    self.X[link, t, i] = b.col(float(copy[link, i]))
        kinds["X"] = (start, len(b.cost))
        start = len(b.cost)
        for link in self.direct:
            if not self.devices_of[self.ends[link][1]]:
                continue  # nothing computes out of a storage memory
            for t in range(n):
                for k in range(t + 1):
                    for i in dict.fromkeys(p.graph.nodes[k].deps):
                        cost = copy[link, i] if energy else p.costs.read_time(link, k, i)
                        self.Y[(link, t, k, i)] = b.col(float(cost))
        kinds["Y"] = (start, len(b.cost))
        start = len(b.cost)
        compute_memories = [m for m in range(p.n_memories) if self.devices_of[m]]
        for m in compute_memories if self.owners else ():
            for o in self.owners:
                self.P[(m, o)] = b.col(0.0)
            self.Q[m] = b.col(0.0, upper=math.inf, integral=False)
        kinds["P"] = (start, len(b.cost))
        return kinds

    def _remote(self, m: int, t: int, k: int, i: int) -> list[tuple[int, float]]:
        """Terms of the remote reads that bring input i to node k computed in memory m."""
        return [(self.Y[key], 1.0) for link in self.direct if self.ends[link][1] == m
                if (key := (link, t, k, i)) in self.Y]

    def _read_from(self, m: int, t: int, k: int, i: int) -> list[tuple[int, float]]:
        """Terms of the remote reads of buffer i, held in memory m, by node k in stage t."""
        return [(self.Y[key], 1.0) for link in self.direct if self.ends[link][0] == m
                if (key := (link, t, k, i)) in self.Y]

    def _arrive(self, m: int, t: int, i: int) -> list[tuple[int, float]]:
        """Terms of A[m,t,i]: node i computed in memory m or copied into it in stage t."""
        terms = [(int(self.R[d, t, i]), 1.0) for d in self.devices_of[m]]
        terms += [(int(self.X[link, t, i]), 1.0) for link in self.into[m] if self.X[link, t, i] >= 0]
        return terms

    def _computed_in(self, m: int, t: int, k: int) -> list[tuple[int, float]]:
        return [(int(self.R[d, t, k]), 1.0) for d in self.devices_of[m]]

    def _resident(self, m: int, t: int, i: int) -> list[tuple[int, float]]:
        return [(int(self.S[m, t, i]), 1.0)] if t > i else []

    # ------------------------------------------------------------------------- constraints
    def build(self) -> MultiDeviceMilp:
        kinds = self._columns()
        self._stage_rows()
        self._free_and_memory_rows(kinds)
        self._storage_rows()
        self._time_limit_row()
        return MultiDeviceMilp(
            **self.b.arrays(),
            R=self.R, S=self.S, X=self.X, byte_unit=self.unit,
            size_units=np.array(self.size, dtype=np.int64), U=self.U,
            frees=np.array(self.free_meta, dtype=np.int64).reshape(-1, 5),
            reads=np.array([(y, *key) for key, y in self.Y.items()], dtype=np.int64).reshape(-1, 5),
            weights=np.array([(c, m, o) for (m, o), c in self.P.items()], dtype=np.int64).reshape(-1, 3),
            weight_use=np.array([self.Q.get(m, -1) for m in range(self.p.n_memories)], dtype=np.int64),
            col_kinds=kinds,
        )

    def _stage_rows(self) -> None:
        p, b, n, inf = self.p, self.b, self.n, math.inf
        b.start_family("frontier: node t computed in stage t on exactly one device")
        for t in range(n):
            b.row([(int(self.R[d, t, t]), 1.0) for d in range(p.n_devices)], 1.0, 1.0)
        b.start_family("arrival: a buffer enters a memory at most once per stage, never where resident")
        for m in range(p.n_memories):
            for t in range(n):
                for i in range(t + 1):
                    terms = self._arrive(m, t, i) + self._resident(m, t, i)
                    if len(terms) > 1:
                        b.row(terms, -inf, 1.0)
        b.start_family("dependency: an input is resident, computed or copied into the reader's memory")
        for m in range(p.n_memories):
            if not self.devices_of[m]:
                continue
            for t in range(n):
                for k in range(t + 1):
                    for i in dict.fromkeys(p.graph.nodes[k].deps):
                        have = self._arrive(m, t, i) + self._resident(m, t, i) + self._remote(m, t, k, i)
                        b.row(self._computed_in(m, t, k) + [(c, -v) for c, v in have], -inf, 0.0)
        b.start_family("remote read: the input is in the source memory and its reader runs where the link leads")
        for (link, t, k, i), y in self.Y.items():
            src, dst = self.ends[link]
            have = [(c, -v) for c, v in self._arrive(src, t, i) + self._resident(src, t, i)]
            b.row([(y, 1.0), *have], -inf, 0.0)
            b.row([(y, 1.0)] + [(c, -v) for c, v in self._computed_in(dst, t, k)], -inf, 0.0)
        b.start_family("copy source: a copied buffer is resident in, or computed into, the source memory")
        for (src, _dst), link in self.links:
            for t in range(n):
                for i in range(t + 1):
                    if self.X[link, t, i] < 0:
                        continue
                    have = [(c, -v) for c, v in self._computed_in(src, t, i) + self._resident(src, t, i)]
                    b.row([(int(self.X[link, t, i]), 1.0), *have], -inf, 0.0)
        if self.owners:
            self._weight_rows()
        b.start_family("persistence: a checkpoint was resident or arrived in the previous stage")
        for m in range(p.n_memories):
            for t in range(n - 1):
                for i in range(t + 1):
                    had = [(c, -v) for c, v in self._arrive(m, t, i) + self._resident(m, t, i)]
                    b.row([(int(self.S[m, t + 1, i]), 1.0), *had], -inf, 0.0)

    def _weight_rows(self) -> None:
        p, b, inf = self.p, self.b, math.inf
        memories = sorted(self.Q)
        b.start_family("weights: each operator's parameter state lives in exactly one device memory")
        for o in self.owners:
            b.row([(self.P[(m, o)], 1.0) for m in memories], 1.0, 1.0)
        b.start_family("weights beside the operator: it and its backward node run only where they live")
        owner_of = p.parameter_owner
        for d in range(p.n_devices):
            m = p.device_memory[d]
            for t in range(self.n):
                for k in range(t + 1):
                    owner = owner_of[k]
                    if owner is not None:
                        b.row([(int(self.R[d, t, k]), 1.0), (self.P[(m, owner)], -1.0)], -inf, 0.0)
        b.start_family("weight use: bytes of the parameter state each memory holds")
        for m in memories:
            terms = [(self.P[(m, o)], -float(self._units(p.graph.nodes[o].param_state_bytes))) for o in self.owners]
            b.row([(self.Q[m], 1.0), *terms], 0.0, 0.0)

    def _units(self, size_bytes: int) -> int:
        return math.ceil(size_bytes / self.unit)

    def _free_and_memory_rows(self, kinds: dict[str, tuple[int, int]]) -> None:
        p, b, n, inf = self.p, self.b, self.n, math.inf
        users = p.graph.users
        frees: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
        start = len(b.cost)
        remote_targets = {self.ends[link][1] for link in self.direct}
        b.start_family("free: release a buffer after its last touch in the stage unless it is kept")
        for m in range(p.n_memories):
            if not self.devices_of[m]:
                continue
            for t in range(n):
                for i in range(t + 1):
                    positions = [i] + [u for u in users[i] if u <= t]
                    touch = [self._arrive(m, t, i)] + [self._computed_in(m, t, u) + self._read_from(m, t, u, i)
                                                       for u in positions[1:]]
                    for a, j in enumerate(positions):
                        f = b.col(0.0, integral=False)
                        frees.setdefault((m, t, j), []).append((i, f))
                        self.free_meta.append((f, m, t, i, j))
                        b.row([(f, 1.0)] + [(c, -v) for c, v in touch[a]], -inf, 0.0)
                        if m in remote_targets and a > 0:
                            # A reader here may have read i remotely: free only what is here.
                            here = self._arrive(m, t, i) + self._resident(m, t, i)
                            b.row([(f, 1.0)] + [(c, -v) for c, v in here], -inf, 0.0)
                        if t + 1 < n:
                            b.row([(f, 1.0), (int(self.S[m, t + 1, i]), 1.0)], -inf, 1.0)
                        for u in positions[a + 1:]:
                            # A local and a remote read of i at u may both happen: a row for each.
                            b.row([(f, 1.0), *self._computed_in(m, t, u)], -inf, 1.0)
                            for y in self._read_from(m, t, u, i):
                                b.row([(f, 1.0), y], -inf, 1.0)
        kinds["FREE"] = (start, len(b.cost))
        start = len(b.cost)
        b.start_family("memory: bytes in use per memory and position, within budget minus static")
        for m in range(p.n_memories):
            if not self.devices_of[m]:
                continue
            room = min(math.floor((p.budgets_bytes[m] - p.static_bytes[m]) / self.unit), self.most_units)
            for t in range(n):
                previous = -1
                for k in range(t + 1):
                    u = b.col(0.0, upper=float(room), integral=False)
                    self.U[m, t, k] = u
                    terms = [(u, 1.0)] + [(c, -self.size[k] * v) for c, v in self._arrive(m, t, k)]
                    if k == 0:
                        terms += [(int(self.S[m, t, i]), -float(self.size[i])) for i in range(t)]
                        if m in self.Q:
                            terms.append((self.Q[m], -1.0))  # the weights placed here, all step long
                    else:
                        terms.append((previous, -1.0))
                        terms += [(f, float(self.size[i])) for i, f in frees.get((m, t, k - 1), [])]
                    b.row(terms, 0.0, 0.0)
                    previous = u
        kinds["U"] = (start, len(b.cost))

    def _storage_rows(self) -> None:
        p, b, inf = self.p, self.b, math.inf
        b.start_family("storage: pages held in a storage memory within its budget")
        for m in range(p.n_memories):
            if self.devices_of[m]:
                continue
            room = min(math.floor((p.budgets_bytes[m] - p.static_bytes[m]) / self.unit), self.most_units)
            for t in range(self.n):
                terms = [(c, float(self.size[i])) for i in range(t + 1) for c, _ in self._arrive(m, t, i)]
                terms += [(int(self.S[m, t, i]), float(self.size[i])) for i in range(t)]
                if terms:
                    b.row(terms, -inf, float(room))

    def _time_limit_row(self) -> None:
        p, b = self.p, self.b
        if p.objective is not Objective.ENERGY or p.time_limit_s is None:
            return
        b.start_family("time limit: serial time of computes and copies (paging included)")
        terms: list[tuple[int, float]] = []
        for (d, t, i) in zip(*np.nonzero(self.R >= 0), strict=True):
            terms.append((int(self.R[d, t, i]), float(p.costs.compute_time_s[i, d])))
        for (link, t, i) in zip(*np.nonzero(self.X >= 0), strict=True):
            terms.append((int(self.X[link, t, i]), float(p.costs.copy_time_s[link, i])))
        for (link, _t, k, i), y in self.Y.items():
            terms.append((y, p.costs.read_time(link, k, i)))
        b.row(terms, -math.inf, float(p.time_limit_s))
