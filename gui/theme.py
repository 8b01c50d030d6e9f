"""Colours shared by the views (Okabe-Ito palette: readable for colour-blind users)."""

from __future__ import annotations

from core.trace import StepRole

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

#: Operator categories: (name, substrings of the lower-case op type, colour).
OP_CATEGORIES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("convolution", ("conv",), "#0072B2"),
    ("matrix product", ("matmul", "gemm", "linear", "einsum", "attention"), "#56B4E9"),
    ("normalization", ("norm",), "#009E73"),
    ("activation", ("relu", "gelu", "sigmoid", "tanh", "softmax", "erf", "silu", "swish", "elu", "clip"), "#E69F00"),
    ("pooling", ("pool",), "#CC79A7"),
    ("loss", ("loss", "crossentropy", "mse"), "#000000"),
    ("element-wise", ("add", "sub", "mul", "div", "pow", "sqrt", "exp", "neg", "where", "dropout"), "#F0E442"),
    ("data movement", ("reshape", "transpose", "concat", "slice", "gather", "split", "pad", "expand",
                       "flatten", "squeeze", "identity", "cast"), "#BBBBBB"),
)
OTHER_OP_COLOUR = "#999999"
MODULE_COLOUR = "#8FA8C8"

#: Timeline bar colours per step role.
ROLE_COLOURS: dict[StepRole, str] = {
    StepRole.COMPUTE: "#0072B2",
    StepRole.RECOMPUTE: "#D55E00",
    StepRole.COPY: "#009E73",
    StepRole.PAGE_OUT: "#CC79A7",
    StepRole.PAGE_IN: "#E69F00",
    StepRole.REMOTE_READ: "#56B4E9",
}

#: Node colours after a solve ("kept / recomputed / paged").
FATE_COLOURS = {"kept": "#0072B2", "recomputed": "#D55E00", "paged": "#CC79A7", "not run": "#BBBBBB"}

BACKGROUND = "#FFFFFF"
EDGE_COLOUR = "#9AA3AD"
SAVED_EDGE_COLOUR = "#D55E00"
SELECTION_COLOUR = "#D62728"
MATCH_COLOUR = "#FF7F0E"


def op_category(op_type: str) -> str:
    lowered = op_type.lower()
    for name, keys, _colour in OP_CATEGORIES:
        if any(k in lowered for k in keys):
            return name
    return "other"


def op_colour(op_type: str) -> str:
    if op_type == "Module":
        return MODULE_COLOUR
    lowered = op_type.lower()
    for _name, keys, colour in OP_CATEGORIES:
        if any(k in lowered for k in keys):
            return colour
    return OTHER_OP_COLOUR


def device_colour(index: int) -> str:
    return OKABE_ITO[index % len(OKABE_ITO)]


def text_colour_for(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (#RRGGBB)."""
    r, g, b = (int(background[i:i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#FFFFFF"
