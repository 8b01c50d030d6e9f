"""End to end with PyTorch: export a model to ONNX, solve, export the plan, apply it to the model.

Gradients must equal the unmodified model's, and the saved-activation memory (measured with
``torch.autograd.graph.saved_tensors_hooks``) must drop as the plan predicts.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import solvers  # noqa: E402
from core.export import write_schedule_json  # noqa: E402
from core.export.pytorch_plan import export_plan  # noqa: E402
from core.graph import min_feasible_budget, no_recompute_peak  # noqa: E402
from core.model_io import open_model  # noqa: E402
from core.problem import build_problem  # noqa: E402
from tests.helpers import one_device_system  # noqa: E402

pytestmark = [pytest.mark.torch]

WIDTH, BATCH = 64, 128


class Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(width, 4 * width)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4 * width, width)
        self.out = nn.Tanh()

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.out(self.fc2(self.act(self.fc1(x))))


class Net(nn.Module):
    def __init__(self, width: int = WIDTH, depth: int = 4) -> None:
        super().__init__()
        self.stem = nn.Linear(width, width)
        self.blocks = nn.Sequential(*[Block(width) for _ in range(depth)])
        self.head = nn.Linear(width, 10)

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.head(self.blocks(self.stem(x)))


def _export(model: nn.Module, path: Path, width: int = WIDTH) -> None:
    torch.onnx.export(model, (torch.zeros(BATCH, width),), str(path), opset_version=17, dynamo=False,
                      input_names=["x"], output_names=["y"])


def _load_helper(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(f"remat_plan_{abs(hash(path))}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _saved_activation_bytes(model: nn.Module, x):  # type: ignore[no-untyped-def]
    params = {p.data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(t):  # type: ignore[no-untyped-def]
        if t.data_ptr() not in params and t.data_ptr() != x.data_ptr():
            seen[t.data_ptr()] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = model(x).square().mean()
    loss.backward()
    return sum(seen.values())


@pytest.fixture(scope="module")
def planned(tmp_path_factory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("plan")
    torch.manual_seed(0)
    model = Net()
    _export(model, tmp / "net.onnx")
    graph = open_model(tmp / "net.onnx").training
    # Halfway between the smallest feasible budget and the no-recomputation peak: the weights (static
    # memory) always fit, some activations must be recomputed.
    smallest, peak = min_feasible_budget(graph), no_recompute_peak(graph)
    budget = smallest + (peak - smallest) // 2
    problem = build_problem(graph, one_device_system(), {"ram": budget})
    name = "checkmate-highs" if solvers.get("checkmate-highs").availability()[0] else "greedy"
    result = solvers.run(name, problem, solvers.SolveOptions(time_limit_s=60))
    assert result.schedule is not None and result.trace is not None and result.trace.ok
    assert result.trace.recompute_count > 0
    write_schedule_json(tmp / "schedule.json", problem, result.schedule, result.trace, {"solver": name})
    export_plan(tmp / "schedule.json", tmp / "plan.json", helper=tmp / "remat_plan.py")
    return model, tmp


def test_plan_keeps_gradients_and_cuts_saved_activations(planned) -> None:  # type: ignore[no-untyped-def]
    model, tmp = planned
    helper = _load_helper(tmp / "remat_plan.py")
    plan = helper.load_plan(tmp / "plan.json")
    assert plan["checkpoint"] or plan["selective"]
    x = torch.randn(BATCH, WIDTH)

    reference = copy.deepcopy(model)
    plain_bytes = _saved_activation_bytes(reference, x)
    applied = helper.apply_plan(copy.deepcopy(model), tmp / "plan.json", example_inputs=(x,))
    plan_bytes = _saved_activation_bytes(applied, x)

    for (name, p_ref), (_, p_new) in zip(reference.named_parameters(), applied.named_parameters(), strict=True):
        assert torch.allclose(p_ref.grad, p_new.grad, rtol=1e-5, atol=1e-6), name
    assert plan_bytes < plain_bytes
    predicted = plan["predicted"]
    predicted_drop = 1 - predicted["saved_bytes_plan"] / predicted["saved_bytes_plain"]
    measured_drop = 1 - plan_bytes / plain_bytes
    assert measured_drop == pytest.approx(predicted_drop, abs=0.15)


def test_plan_for_a_different_model_is_refused(planned) -> None:  # type: ignore[no-untyped-def]
    _, tmp = planned
    helper = _load_helper(tmp / "remat_plan.py")
    with pytest.raises(helper.PlanMismatchError, match="has no module"):
        helper.apply_plan(nn.Sequential(nn.Linear(WIDTH, 10)), tmp / "plan.json")
    wider = Net(width=2 * WIDTH)
    with pytest.raises(helper.PlanMismatchError, match="produces shape"):
        helper.apply_plan(wider, tmp / "plan.json", example_inputs=(torch.randn(BATCH, 2 * WIDTH),))


def test_cli_export_plan_writes_plan_and_helper(planned, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cli import main

    _, tmp = planned
    assert main(["export-plan", str(tmp / "schedule.json"), "--out", str(tmp_path / "p.json"),
                 "--helper", str(tmp_path / "h.py")]) == 0
    assert (tmp_path / "p.json").exists() and (tmp_path / "h.py").exists()
    assert main(["export-plan", str(tmp_path / "missing.json"), "--out", str(tmp_path / "q.json")]) == 2
