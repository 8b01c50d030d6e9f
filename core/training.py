"""From the forward data path of a model to its training graph: forward nodes, a loss, backward nodes.

Every node produces one buffer:

- a *forward* node per operator: its outputs (a multi-output op is one buffer);
- the *loss* node reads the operators that produce the model's outputs and writes the gradient of the
  loss with respect to them;
- a *backward* node per operator that needs a gradient (it has parameters, or an input that needs
  one): it reads the gradient flowing into its output (the backward nodes of its users, and the loss
  when it produces a model output) and the forward buffers its gradient formula needs
  (:mod:`core.backward_rules`), and writes the gradient with respect to its activation inputs.
  Weight gradients go to static memory.

Static memory is held for the whole step: parameters, their gradients, the optimizer state (SGD
none, SGD with momentum one copy of the parameters, Adam two) and the model's input batch.
Node ids follow the order forward, loss, backward in reverse operator order, a topological order.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.backward_rules import backward_rule
from core.errors import RematError
from core.graph import ModelGraph, NodeKind, Operator, TrainingGraph, TrainingNode

#: Optimizer state per parameter byte.
OPTIMIZER_STATE = {"sgd": 0, "momentum": 1, "adam": 2}

#: FLOPs per element of the model outputs for the loss and its gradient (softmax cross-entropy).
LOSS_FLOPS_PER_ELEMENT = 8.0


def static_memory_bytes(param_bytes: int, optimizer: str, input_bytes: int = 0) -> int:
    """Parameters, gradients, optimizer state and the input batch, held for the whole step."""
    if optimizer not in OPTIMIZER_STATE:
        raise RematError(f"unknown optimizer {optimizer!r}; valid optimizers: {', '.join(OPTIMIZER_STATE)}")
    return param_bytes * (2 + OPTIMIZER_STATE[optimizer]) + input_bytes


@dataclass
class _Pending:
    """A backward node before ids are known: which operator it belongs to and what it reads."""

    op: Operator
    saved: tuple[int, ...]  # forward node ids the gradient formula reads
    grad_inputs: tuple[int, ...]  # operator ids whose output gradient this node computes
    flops: float
    known: bool


def build_training_graph(model: ModelGraph, optimizer: str = "sgd") -> TrainingGraph:
    """The training graph of ``model`` (see the module docstring for its rules)."""
    ops = model.operators
    if not ops:
        raise RematError(f"{model.source}: the model has no operator on its data path; nothing to train")
    users = _users(ops)
    outputs = _output_producers(model)
    reaches = _reaches_loss(ops, users, outputs)
    needs_grad = _needs_grad(ops, reaches)
    nodes = [_forward_node(op, optimizer) for op in ops]
    loss_id = len(nodes)
    nodes.append(_loss_node(model, loss_id, outputs))
    pending = [_pending(op, needs_grad) for op in reversed(ops) if needs_grad[op.id]]
    grad_node: dict[int, int] = {}
    warnings: list[str] = []
    for item in pending:
        node_id = len(nodes)
        grad_node[item.op.id] = node_id
        upstream = [grad_node[u] for u in users[item.op.id] if u in grad_node]
        if item.op.id in outputs:
            upstream.insert(0, loss_id)
        deps = tuple(dict.fromkeys([*upstream, *item.saved]))
        nodes.append(_backward_node(item, node_id, deps, nodes))
        if not item.known:
            warnings.append(item.op.op_type)
    notes = [f"no backward rule for op type {t!r}: its backward node reads all its inputs and its output"
             for t in sorted(set(warnings))]
    inputs = sum(t.size_bytes for t in model.graph_inputs)
    return TrainingGraph(
        name=model.name, nodes=tuple(nodes),
        static_bytes=static_memory_bytes(model.param_bytes, optimizer, inputs),
        param_bytes=model.param_bytes, source=model.source, optimizer=optimizer,
        warnings=tuple(notes),
    )


def _users(ops: tuple[Operator, ...]) -> list[list[int]]:
    users: list[list[int]] = [[] for _ in ops]
    for op in ops:
        for dep in op.inputs:
            users[dep].append(op.id)
    return users


def _output_producers(model: ModelGraph) -> set[int]:
    """Operators whose outputs are model outputs (the last operator when none is named)."""
    names = {t.name for t in model.graph_outputs}
    found = {op.id for op in model.operators if any(t.name in names for t in op.outputs)}
    return found or {model.operators[-1].id}


def _reaches_loss(ops: tuple[Operator, ...], users: list[list[int]], outputs: set[int]) -> list[bool]:
    reaches = [False] * len(ops)
    for op in reversed(ops):
        reaches[op.id] = op.id in outputs or any(reaches[u] for u in users[op.id])
    return reaches


def _needs_grad(ops: tuple[Operator, ...], reaches: list[bool]) -> list[bool]:
    """An operator needs a backward node when it reaches the loss and has parameters or an input that
    needs a gradient (ops that only transform the input batch need none)."""
    needs = [False] * len(ops)
    for op in ops:
        needs[op.id] = reaches[op.id] and (op.param_bytes > 0 or any(needs[d] for d in op.inputs))
    return needs


def _forward_node(op: Operator, optimizer: str) -> TrainingNode:
    return TrainingNode(
        id=op.id, name=op.name, kind=NodeKind.FORWARD, op_type=op.op_type, size_bytes=op.output_bytes,
        deps=op.inputs, flops=op.flops, bytes_accessed=op.bytes_accessed, onnx_name=op.name,
        module_scope=op.module_scope, random=op.random, shapes=tuple(t.shape for t in op.outputs),
        param_state_bytes=static_memory_bytes(op.param_bytes, optimizer),
    )


def _loss_node(model: ModelGraph, node_id: int, outputs: set[int]) -> TrainingNode:
    producers = sorted(outputs)
    size = sum(model.operators[i].output_bytes for i in producers)
    elements = sum(_elements(t.shape) for i in producers for t in model.operators[i].outputs)
    return TrainingNode(
        id=node_id, name="loss", kind=NodeKind.LOSS, op_type="Loss", size_bytes=size, deps=tuple(producers),
        flops=LOSS_FLOPS_PER_ELEMENT * elements, bytes_accessed=2.0 * size,
        shapes=tuple(t.shape for i in producers for t in model.operators[i].outputs),
    )


def _elements(shape: tuple[int, ...]) -> int:
    count = 1
    for d in shape:
        count *= d
    return count


def _pending(op: Operator, needs_grad: list[bool]) -> _Pending:
    rule = backward_rule(op.op_type, len(op.input_tensors))
    grad_inputs = tuple(d for d in op.inputs if needs_grad[d])
    saved: list[int] = []
    if rule.reads_inputs:
        saved += op.inputs
    if rule.reads_output:
        saved.append(op.id)
    factor = rule.flops_factor if grad_inputs else rule.weight_only_factor or rule.flops_factor
    return _Pending(op=op, saved=tuple(dict.fromkeys(saved)), grad_inputs=grad_inputs,
                    flops=factor * op.flops, known=rule.known and not op.opaque)


def _backward_node(item: _Pending, node_id: int, deps: tuple[int, ...], nodes: list[TrainingNode]) -> TrainingNode:
    op = item.op
    # The gradient of each activation input has that input's size (the input's producer's buffer).
    size = sum(nodes[d].size_bytes for d in item.grad_inputs)
    read = sum(nodes[d].size_bytes for d in deps)
    return TrainingNode(
        id=node_id, name=f"{op.name}.grad", kind=NodeKind.BACKWARD, op_type=f"{op.op_type}Grad",
        size_bytes=size, deps=deps, flops=item.flops, bytes_accessed=float(read + size + 2 * op.param_bytes),
        forward_id=op.id, onnx_name=op.name, module_scope=op.module_scope,
        shapes=tuple(s for d in item.grad_inputs for s in nodes[d].shapes),
    )
