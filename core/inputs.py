"""The types of what the API takes: exactly what its published JSON Schema takes.

Pydantic's lax mode converts values of another JSON type (`false` or `"1"` for an integer, a
Unix time for a date-time, `"yes"` for a boolean), which the description refuses; model-wide
`strict=True` would also refuse ISO date-time and UUID strings, since FastAPI validates bodies
in python mode. So each type says once what it takes:

- in a body (decoded JSON): `JSON_INTEGER` and `JsonBool` take a JSON integer or boolean only;
- in a query or path parameter (always text): `INTEGER_TEXT` and `ParamBool` take the text
  of a JSON integer (`5`) or boolean (`true`) only;
- anywhere: `DateTime` (and `DateTimeUtcDefault`) take an RFC 3339 string only, `Uuid` the
  hyphenated string form of a UUID only (Python callers, the CLIs, may pass a `datetime` or
  `UUID` itself, which no JSON holds).

The integers are markers, last in their `Annotated` after the bounds every integer of the API
has (`Annotated[int, Field(ge=1, le=200), JSON_INTEGER]`): pydantic states bounds that follow
a validator as `ge`/`le` in the JSON Schema instead of `minimum`/`maximum` (pydantic#11576).
The JSON Schema each states is the plain type's: the published description does not change.
Refusals carry pydantic's own error types (`int_type`, `datetime_type`, ...), never
`value_error`, so a test cannot mistake them for a field's own domain check.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, Strict
from pydantic_core import PydanticCustomError

_INTEGER = re.compile(r"-?[0-9]+(\.0+)?")
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})?"
)
"""RFC 3339's date-time; the offset is optional here for `DateTimeUtcDefault` (`AwareDatetime`
requires it everywhere else)."""
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _json_integer(value: Any) -> Any:
    # Python's bool is an int and a string may hold digits: neither is a JSON number. The
    # rest is pydantic's int, which takes 6.0 (an integer to JSON Schema, and Schemathesis
    # sends it as one) and refuses 6.5.
    if isinstance(value, bool | str):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _integer_text(value: Any) -> Any:
    if not isinstance(value, str) or not _INTEGER.fullmatch(value):
        raise PydanticCustomError("int_parsing", "Input should be an integer, such as 6")
    return value


def _boolean_text(value: Any) -> Any:
    if value not in ("true", "false"):
        raise PydanticCustomError("bool_parsing", "Input should be true or false")
    return value


def _rfc3339(value: Any) -> Any:
    # A datetime comes from Python callers (the CLIs), never from JSON.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise PydanticCustomError(
            "datetime_type", "Input should be an RFC 3339 date-time, such as 2026-01-31T12:00:00Z"
        )
    return value


def _uuid_text(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise PydanticCustomError(
            "uuid_type", "Input should be a UUID, such as 3f2c6d1e-8b4a-4c5e-9d7f-2a1b0c9e8d7f"
        )
    return value


JSON_INTEGER = BeforeValidator(_json_integer)
"""A body's integer: a JSON number without a fractional part (`6` or `6.0`), not `true` nor
`"6"`. Last in its `Annotated`, after the bounds."""
JsonBool = Annotated[bool, Strict()]
"""A body's boolean: `true` or `false`."""
INTEGER_TEXT = BeforeValidator(_integer_text)
"""A query or path parameter's integer: ASCII digits, with a leading `-` if negative (and `.0`
if it likes: `6.0` is an integer to JSON Schema, as in a body). Last in its `Annotated`, after
`Query`/`Path` and their bounds."""
ParamBool = Annotated[bool, BeforeValidator(_boolean_text)]
"""A query parameter's boolean: `true` or `false`."""
DateTime = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
"""An RFC 3339 date-time string, its offset included: `2026-01-31T12:00:00Z`."""
DateTimeUtcDefault = Annotated[datetime, BeforeValidator(_rfc3339)]
"""An RFC 3339 date-time string whose offset may be left out, meaning UTC: the reader
must treat a naive value as UTC."""
Uuid = Annotated[uuid.UUID, BeforeValidator(_uuid_text)]
"""A UUID in its hyphenated string form: `3f2c6d1e-8b4a-4c5e-9d7f-2a1b0c9e8d7f`."""
