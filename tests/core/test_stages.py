"""Stage matrices: closed-form R and decoding, against hand-worked cases."""

from __future__ import annotations

import numpy as np
import pytest

from core.simulate import simulate
from core.stages import closed_form_r, decode_stages, plain_stages, stage_cost
from tests.helpers import chain_training_graph, make_graph, one_device_problem


def test_closed_form_r_of_plain_s_is_identity() -> None:
    graph = chain_training_graph(4)
    R, S = plain_stages(graph)
    assert (closed_form_r(graph, S) == R).all()


def test_closed_form_r_recomputes_dropped_chain() -> None:
    # chain 0 -> 1 -> 2 -> 3 where node 3 also reads node 0 and 1; keep nothing: stage 3 recomputes 0..2
    graph = make_graph([1, 1, 1, 1], [(), (0,), (1,), (2, 1, 0)], [1, 2, 4, 8])
    n = len(graph.nodes)
    S = np.zeros((n, n), dtype=bool)
    R = closed_form_r(graph, S)
    assert R[3].tolist() == [True, True, True, True]
    assert R[2].tolist() == [True, True, True, False]
    problem = one_device_problem(graph)
    trace = simulate(problem, decode_stages(problem, R, S))
    assert trace.ok
    assert trace.serial_time_s == pytest.approx(stage_cost(problem, R))
    assert trace.recompute_count == 6


def test_decode_peak_never_exceeds_plain_peak() -> None:
    graph = chain_training_graph(8)
    problem = one_device_problem(graph)
    R, S = plain_stages(graph)
    trace = simulate(problem, decode_stages(problem, R, S))
    assert trace.ok
    assert trace.serial_time_s == pytest.approx(stage_cost(problem, R))
