"""Reading JSON files a user hands over, and checking them against the bundled JSON Schemas.

Errors are :class:`core.errors.RematError` naming the file and the field, e.g.
``graph.json: field nodes/3/size_bytes: -1 is less than the minimum of 0``.
"""

from __future__ import annotations

import json
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
        raise RematError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno} "
                         "(was the file cut short?)") from exc
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


def check_schema(document: Any, schema_file: str, where: str) -> None:
    """Raise RematError naming the most relevant schema violation of ``document``, if any."""
    import jsonschema.exceptions

    error = jsonschema.exceptions.best_match(_validator(schema_file).iter_errors(document))
    if error is not None:
        raise RematError(f"{where}: field {field_path(error.absolute_path)}: {error.message}")
