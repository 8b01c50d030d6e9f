"""Apply a Remat Studio plan to a PyTorch model (generated helper; plan format version {{PLAN_VERSION}}).

Three lines in a training script::

    from remat_plan import apply_plan
    model = apply_plan(model, "plan.json", example_inputs=(batch,))
    # ... train as usual: checkpointed modules recompute their activations during backward

What it does, checking first that the model is the one the plan was made for:

- wraps each module listed under ``checkpoint`` so its forward runs under
  ``torch.utils.checkpoint.checkpoint(..., use_reentrant=False)``;
- wraps each module listed under ``selective`` with a selective-checkpoint policy that recomputes
  the listed ops (by ONNX op type and occurrence) and saves everything else;
- moves modules to the devices of ``placement`` (``devices={"gpu": "cuda:1"}`` renames them) and
  moves their inputs there before they run.

Random ops are never recomputed silently: a checkpointed module that contains one recomputes with
the RNG state saved at its forward (``preserve_rng_state=True``), so dropout masks are replayed
exactly, and a warning names the module.

It refuses, with :class:`PlanMismatchError`, a model that lacks a module the plan names or whose
module outputs have other shapes than the plan records (checked when ``example_inputs`` is given).
Needs only PyTorch (>= 2.4 for selective checkpointing).
"""

from __future__ import annotations

import functools
import json
import warnings
from collections import Counter
from pathlib import Path

import torch
from torch.utils.checkpoint import checkpoint

PLAN_FORMAT = "remat-studio.plan"
PLAN_VERSION = {{PLAN_VERSION}}

#: ONNX op type -> names of the aten operators PyTorch runs for it (selective policies).
ONNX_TO_ATEN = {
    "Conv": ("convolution",), "ConvTranspose": ("convolution",),
    "Gemm": ("addmm", "mm", "linear"), "MatMul": ("mm", "bmm", "matmul"),
    "Relu": ("relu",), "Sigmoid": ("sigmoid",), "Tanh": ("tanh",), "Gelu": ("gelu",),
    "Softmax": ("_softmax", "softmax"), "LogSoftmax": ("_log_softmax", "log_softmax"),
    "Add": ("add",), "Sub": ("sub",), "Mul": ("mul",), "Div": ("div",), "Erf": ("erf",),
    "Sqrt": ("sqrt",), "Pow": ("pow",), "Exp": ("exp",),
    "BatchNormalization": ("native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_functional",
                           "cudnn_batch_norm"),
    "LayerNormalization": ("native_layer_norm",),
    "MaxPool": ("max_pool2d_with_indices", "max_pool2d"), "AveragePool": ("avg_pool2d",),
    "GlobalAveragePool": ("mean", "adaptive_avg_pool2d", "_adaptive_avg_pool2d"),
    "Transpose": ("permute", "transpose"), "Concat": ("cat",),
}
RANDOM_MODULES = (torch.nn.Dropout, torch.nn.Dropout1d, torch.nn.Dropout2d, torch.nn.Dropout3d,
                  torch.nn.AlphaDropout, torch.nn.FeatureAlphaDropout)


class PlanMismatchError(ValueError):
    """The model is not the one the plan was made for; the message says what differs."""


def load_plan(plan):
    """A plan from a path or a dict, checked for its format and version."""
    if not isinstance(plan, dict):
        path = Path(plan)
        try:
            plan = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PlanMismatchError(f"{path}: cannot read the plan: {exc}") from exc
    if plan.get("format") != PLAN_FORMAT or plan.get("version") != PLAN_VERSION:
        raise PlanMismatchError(
            f"not a plan this helper understands (format {plan.get('format')!r} version {plan.get('version')!r}; "
            f"expected {PLAN_FORMAT!r} version {PLAN_VERSION}): export the plan and helper again"
        )
    return plan


def check_plan(model, plan, example_inputs=None):
    """Raise :class:`PlanMismatchError` unless ``model`` matches the plan (names, and shapes if given)."""
    plan = load_plan(plan)
    names = dict(model.named_modules())
    missing = [path for path in plan["modules"] if path not in names]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise PlanMismatchError(
            f"the model has no module {shown}, which the plan for {plan['model']['name']!r} names; "
            "this plan was made for a different model (export the plan from this model's ONNX file)"
        )
    if example_inputs is not None:
        _check_shapes(model, plan, names, example_inputs)
    return plan


def _check_shapes(model, plan, names, example_inputs):
    seen = {}
    hooks = []
    for path, info in plan["modules"].items():
        if info.get("output_shape") is None:
            continue

        def record(_module, _inputs, output, path=path):
            first = output[0] if isinstance(output, (tuple, list)) else output
            if isinstance(first, torch.Tensor) and path not in seen:
                seen[path] = list(first.shape)

        hooks.append(names[path].register_forward_hook(record))
    try:
        with torch.no_grad():
            model(*example_inputs)
    finally:
        for hook in hooks:
            hook.remove()
    for path, shape in seen.items():
        expected = plan["modules"][path]["output_shape"]
        if shape != expected:
            raise PlanMismatchError(
                f"module {path!r} produces shape {shape}, but the plan for {plan['model']['name']!r} expects "
                f"{expected}: this plan was made for a different model or input size"
            )


def apply_plan(model, plan, *, example_inputs=None, devices=None):
    """Apply ``plan`` to ``model`` in place and return it (see the module docstring)."""
    plan = check_plan(model, plan, example_inputs)
    names = dict(model.named_modules())
    _place(model, plan, names, devices or {})
    for path in plan["checkpoint"]:
        _wrap(names[path], path, context_fn=None)
    for path, ops in plan["selective"].items():
        if path in plan["checkpoint"]:
            continue
        _wrap(names[path], path, context_fn=_selective_context(ops))
    return model


def _wrap(module, path, context_fn):
    if any(isinstance(m, RANDOM_MODULES) for m in module.modules()):
        warnings.warn(
            f"module {path!r} contains random ops; its recomputation replays the RNG state saved at its forward",
            stacklevel=3,
        )
    forward = module.forward
    kwargs = {"use_reentrant": False, "preserve_rng_state": True}
    if context_fn is not None:
        kwargs["context_fn"] = context_fn

    @functools.wraps(forward)
    def checkpointed(*args, **kw):
        if not (module.training and torch.is_grad_enabled()):
            return forward(*args, **kw)
        return checkpoint(forward, *args, **kwargs, **kw)

    module.forward = checkpointed


def _selective_context(ops):
    from torch.utils.checkpoint import CheckpointPolicy, create_selective_checkpoint_contexts

    wanted = {(op["op_type"], op["occurrence"]) for op in ops}
    aten_to_onnx = {aten: onnx for onnx, atens in ONNX_TO_ATEN.items() for aten in atens}
    counts = {False: Counter(), True: Counter()}
    forward_totals = Counter()

    def policy(ctx, op, *args, **kwargs):
        onnx_type = aten_to_onnx.get(getattr(op, "overloadpacket", op).__name__)
        if onnx_type is None:
            return CheckpointPolicy.PREFER_SAVE
        counter = counts[ctx.is_recompute]
        index = counter[onnx_type]
        counter[onnx_type] += 1
        if not ctx.is_recompute:
            forward_totals[onnx_type] = counter[onnx_type]
        elif forward_totals[onnx_type]:
            index %= forward_totals[onnx_type]
        return CheckpointPolicy.MUST_RECOMPUTE if (onnx_type, index) in wanted else CheckpointPolicy.MUST_SAVE

    def context_fn():
        counts[False].clear()
        counts[True].clear()
        return create_selective_checkpoint_contexts(policy)

    return context_fn


def _place(model, plan, names, renames):
    torch_names = {name: renames.get(name, info["torch"]) for name, info in plan["placement"]["devices"].items()}
    targets = {path: torch_names.get(device, "cpu") for path, device in plan["placement"]["modules"].items()
               if device}
    if len(set(targets.values())) <= 1:
        if targets:
            model.to(next(iter(targets.values())))
        return
    leaves = [p for p in targets if not any(q.startswith(p + ".") for q in targets)]
    for path in leaves:
        device = torch.device(targets[path])
        names[path].to(device)
        names[path].register_forward_pre_hook(functools.partial(_inputs_to, device=device))


def _inputs_to(_module, args, device):
    return tuple(a.to(device) if isinstance(a, torch.Tensor) else a for a in args)
