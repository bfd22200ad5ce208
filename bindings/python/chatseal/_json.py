"""Python's side of the JSON objects that cross into the Rust library (the
`context` and `claims` of `Issuer.mint`, the claims of a `VerifiedToken`).

They cross as JSON text; the generated module calls `dumps` on the way in and
`loads` on the way out (declared in bindings/uniffi.toml), so callers hand
over and get back dicts. Only conversion happens here: whether the value is
a JSON object, and what may be in it, is checked by the Rust library.
"""

import json
from collections.abc import Mapping
from typing import Any, Dict


def _mapping_as_dict(value: object) -> Dict[Any, Any]:
    # json.dumps serialises dicts only; any other Mapping, at any depth, is
    # copied into one. Everything else json cannot serialise is refused with
    # json's usual TypeError.
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: object) -> str:
    """A JSON object (a dict or other Mapping) as JSON text. NaN and the
    infinities are refused (ValueError): they are not JSON."""
    if isinstance(value, Mapping) and not isinstance(value, dict):
        value = dict(value)
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=_mapping_as_dict)


def loads(text: str) -> Dict[str, Any]:
    """JSON text from the library (always an object) as a dict."""
    value: Dict[str, Any] = json.loads(text)
    return value
