"""Files a user hands over or gets back: reading JSON, checking it against the bundled JSON Schemas,
and writing atomically.

Errors are :class:`core.errors.RematError` naming the file and the field, e.g.
``graph.json: field nodes/3/size_bytes: -1 must be at least 0``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from core.errors import RematError
from core.paths import SCHEMAS_DIR


def read_json(path: str | Path, what: str = "file") -> Any:
    """The parsed JSON of ``path``; RematError for a missing, unreadable or malformed file."""
    path = Path(path)
    if not path.is_file():
        raise RematError(f"{what} not found: {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise RematError(f"{path} is not a text (JSON) file: {exc}") from exc
    except json.JSONDecodeError as exc:
        cut = " (the file ends too early: was it cut short?)" if exc.pos >= len(exc.doc.rstrip()) else ""
        raise RematError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
                         f"{cut}") from exc
    except OSError as exc:
        raise RematError(f"cannot read {path}: {exc.strerror}") from exc


def field_path(parts: Iterable[object]) -> str:
    """``["nodes", 3, "deps"]`` -> ``"nodes/3/deps"`` (``"(top level)"`` for the document itself)."""
    text = "/".join(str(p) for p in parts)
    return text or "(top level)"


@cache
def _validator(schema_file: str) -> Any:
    import jsonschema

    schema = json.loads((SCHEMAS_DIR / schema_file).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def check_schema(document: Any, schema_file: str, where: str, hint: str = "") -> None:
    """Raise RematError naming the most relevant schema violation of ``document``, if any.

    ``hint`` (e.g. "see resources/schemas/system.schema.json for the format") ends the message.
    """
    import jsonschema.exceptions

    error = jsonschema.exceptions.best_match(_validator(schema_file).iter_errors(document))
    if error is not None:
        tail = f"; {hint}" if hint else ""
        raise RematError(f"{where}: field {field_path(error.absolute_path)}: {_explain(error)}{tail}")


def _explain(error: Any) -> str:
    """The schema's complaint in the words of the file: sizes, rates and positive figures."""
    field = str(error.absolute_path[-1]) if error.absolute_path else ""
    if error.validator == "exclusiveMinimum":
        return f"{error.instance!r} must be greater than {error.validator_value}"
    if error.validator == "minimum":
        return f"{error.instance!r} must be at least {error.validator_value}"
    if error.validator in ("pattern", "anyOf", "oneOf") and field.endswith("_bytes_s"):
        return f"{error.instance!r} is not a rate; write bytes per second or a rate such as \"25GB/s\""
    if error.validator in ("pattern", "anyOf", "oneOf") and field.endswith("_bytes"):
        return f"{error.instance!r} is not a size; write bytes or a size such as \"24GiB\""
    return str(error.message)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    A reader never sees a half-written file, and a failed write leaves the old file in place.
    Raises :class:`RematError` when the folder does not exist or cannot be written.
    """
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    except OSError as exc:
        raise RematError(f"cannot write {target}: {exc.strerror or exc}; check that the folder exists") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise RematError(f"cannot write {target}: {exc.strerror or exc}") from exc
