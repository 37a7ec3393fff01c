"""The importer's msgspec structs against the pydantic stream models they are generated from:
the same records accepted with the same fields, the same records refused, refusals explained
as before."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError, field_validator

from shared.records import (
    CatalogStreamRecord,
    RequestsStreamRecord,
    ResponsesStreamRecord,
    UsersStreamRecord,
)
from shared.transfer import BatchLimits, BatchRejected, verify_batch
from shared.transfer.archive import READ_CHUNK
from shared.transfer.structs import Untranslatable, record_decoder
from tests.shared.transfer.conftest import WriteBatches
from tests.shared.transfer.samples import SOURCE

AT = "2026-01-02T03:04:05.678901Z"
ARGON2 = "$argon2id$v=19$m=19456,t=2,p=1$" + "a" * 22 + "$" + "b" * 43
LIMIT = {"soft": 1, "hard": 2}


def _id() -> str:
    return str(uuid.uuid4())


USER = {
    "kind": "user",
    "id": _id(),
    "version": 3,
    "username": "ada",
    "email": "ada@example.org",
    "display_name": "Ada",
    "role": "operator",
    "active": True,
    "password_hash": None,
    "profile": "standard",
    "limit_overrides": {"minute": 5},
    "created_at": AT,
    "updated_at": AT,
}
API_KEY = {
    "kind": "api_key",
    "id": _id(),
    "version": 1,
    "user_id": _id(),
    "name": "ci",
    "prefix": "ak_1",
    "secret_hash": "0" * 64,
    "scopes": ["requests:read"],
    "created_at": AT,
    "expires_at": None,
}
REQUEST_TYPE = {
    "kind": "request_type",
    "id": _id(),
    "version": 2,
    "name": "lookup",
    "title": "Lookup",
    "description": "",
    "active": True,
    "handler": "echo",
    "parameter_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
    "expected_answer_seconds": 60,
    "created_at": AT,
    "updated_at": AT,
}
PROFILE = {
    "kind": "profile",
    "id": _id(),
    "version": 1,
    "name": "standard",
    "description": "",
    "limits": {"minute": LIMIT, "day": {"soft": 10, "hard": 10}},
    "type_limits": {"lookup": {"hour": LIMIT}},
    "allow_all": False,
    "allowed_types": ["lookup"],
    "blocked_types": [],
    "max_results": 100,
    "max_parameter_bytes": 4096,
    "created_at": AT,
    "updated_at": AT,
}
GRANT = {
    "kind": "grant",
    "id": _id(),
    "version": 1,
    "user_id": _id(),
    "request_type": "lookup",
    "created_at": AT,
}
REQUEST = {
    "kind": "request",
    "id": _id(),
    "version": 1,
    "owner_id": _id(),
    "request_type": "lookup",
    "type_version": 2,
    "parameters": {"q": "x", "n": [1, 2.5, None, True]},
    "priority": 5,
    "submitted_at": AT,
}
PASSWORD_CHANGE = {
    "kind": "password_change",
    "id": _id(),
    "version": 1,
    "user_id": _id(),
    "password_hash": ARGON2,
    "changed_at": AT,
}
RESPONSE = {
    "kind": "response",
    "id": _id(),
    "version": 4,
    "status": "answered",
    "body": {"rows": [{"a": 1}], "total": 1},
    "content_type": "application/json",
    "answer_number": 1,
    "answered_by": "handler:echo",
    "answered_at": AT,
    "updated_at": AT,
}
SAMPLES: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (UsersStreamRecord, USER),
    (UsersStreamRecord, API_KEY),
    (CatalogStreamRecord, REQUEST_TYPE),
    (CatalogStreamRecord, PROFILE),
    (CatalogStreamRecord, GRANT),
    (RequestsStreamRecord, REQUEST),
    (RequestsStreamRecord, PASSWORD_CHANGE),
    (ResponsesStreamRecord, RESPONSE),
]


def _line(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record)


@pytest.mark.parametrize(("model", "record"), SAMPLES, ids=[r["kind"] for _, r in SAMPLES])
def test_a_struct_carries_what_the_pydantic_record_carries(
    model: type[BaseModel], record: dict[str, Any]
) -> None:
    struct = record_decoder(model).decode(_line(record))
    expected: Any = model.model_validate_json(_line(record))

    assert struct.root.kind == expected.root.kind
    assert struct.root.model_dump() == _plain(expected.root)
    if model is CatalogStreamRecord:  # what its apply reads
        assert struct.root.model_dump() == expected.root.model_dump()


def _plain(value: Any) -> Any:
    """A pydantic record's `__dict__`, nested records as dicts."""
    if isinstance(value, BaseModel):
        value = value.__dict__
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


REFUSED = [
    (UsersStreamRecord, USER | {"extra": 1}),
    (UsersStreamRecord, {k: v for k, v in USER.items() if k != "email"}),
    (UsersStreamRecord, {k: v for k, v in USER.items() if k != "kind"}),
    (UsersStreamRecord, USER | {"kind": "admin"}),
    (UsersStreamRecord, USER | {"username": ""}),
    (UsersStreamRecord, USER | {"username": "u" * 65}),
    (UsersStreamRecord, USER | {"version": 0}),
    (UsersStreamRecord, USER | {"role": "root"}),
    (UsersStreamRecord, USER | {"id": "not-a-uuid"}),
    (UsersStreamRecord, USER | {"created_at": "yesterday"}),
    (UsersStreamRecord, API_KEY | {"secret_hash": "0" * 64 + "\n"}),
    (UsersStreamRecord, API_KEY | {"secret_hash": "A" * 64}),
    (UsersStreamRecord, API_KEY | {"scopes": ["s"] * 51}),
    (UsersStreamRecord, API_KEY | {"scopes": ["s" * 65]}),
    (CatalogStreamRecord, PROFILE | {"limits": {"minute": {"soft": 3, "hard": 2}}}),
    (CatalogStreamRecord, PROFILE | {"limits": {"week": LIMIT}}),
    (CatalogStreamRecord, PROFILE | {"type_limits": {"": {"hour": LIMIT}}}),
    (CatalogStreamRecord, PROFILE | {"max_priority": 10}),
    (CatalogStreamRecord, PROFILE | {"limits": {"minute": {"soft": False, "hard": 2}}}),
    (CatalogStreamRecord, PROFILE | {"limits": {"minute": {"soft": 1, "hard": "2"}}}),
    (CatalogStreamRecord, GRANT | {"limits": {"hour": {"soft": 1}}}),
    (RequestsStreamRecord, PASSWORD_CHANGE | {"password_hash": "$2b$12$" + "a" * 53}),
    (RequestsStreamRecord, PASSWORD_CHANGE | {"password_hash": ARGON2 + "\n"}),
    (RequestsStreamRecord, REQUEST | {"parameters": []}),
    (ResponsesStreamRecord, {k: v for k, v in RESPONSE.items() if k != "kind"}),
    (ResponsesStreamRecord, RESPONSE | {"status": "pending"}),
]


@pytest.mark.parametrize(("model", "record"), REFUSED)
def test_a_struct_refuses_what_the_model_refuses(
    model: type[BaseModel], record: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError):
        model.model_validate_json(_line(record))
    with pytest.raises(msgspec.ValidationError):
        record_decoder(model).decode(_line(record))


def test_a_refused_record_is_explained_by_the_model(
    write: WriteBatches, verify_key: Ed25519PublicKey
) -> None:
    [info] = write([USER, USER | {"username": "u" * 65, "sneaky key": 1}])

    details = []
    for schema in (UsersStreamRecord, record_decoder(UsersStreamRecord)):
        with pytest.raises(BatchRejected) as rejected:
            verify_batch(info.path, verify_key=verify_key, expected_source=SOURCE, schema=schema)
        details.append((rejected.value.code, rejected.value.detail))

    assert details[0] == details[1]
    assert details[1][0] == "batch.schema"
    assert details[1][1].startswith("record 2 fails ")
    assert "sneaky" not in details[1][1]


def test_decoding_is_strict_where_pydantic_would_convert(
    write: WriteBatches, verify_key: Ed25519PublicKey
) -> None:
    """A number as a string is not what the exporter writes: refused, where the field is."""
    converted = USER | {"version": "3"}
    UsersStreamRecord.model_validate_json(_line(converted))
    [info] = write([USER, converted])

    with pytest.raises(BatchRejected) as rejected:
        verify_batch(
            info.path,
            verify_key=verify_key,
            expected_source=SOURCE,
            schema=record_decoder(UsersStreamRecord),
        )

    assert (rejected.value.code, rejected.value.detail) == (
        "batch.schema",
        "record 2 fails UsersStreamRecord: version: strict",
    )


@pytest.mark.parametrize("limit", [300, READ_CHUNK + 100])
def test_a_record_one_byte_over_the_limit_is_refused(
    write: WriteBatches, verify_key: Ed25519PublicKey, limit: int
) -> None:
    """At the limit a record passes, one byte over it does not: with a limit below the read
    size, and above it, where only a record begun in an earlier chunk can be over it."""
    # Above the read size, the record under test starts near the end of the first chunk.
    first = {"title": "x" * min(limit - 12, READ_CHUNK - 500)}

    def batch(size: int) -> Path:
        record = {"title": "x" * (size - 12)}  # {"title":"..."}: 12 bytes more
        [info] = write([first, record], limits=BatchLimits(max_record_bytes=2 * READ_CHUNK))
        return info.path

    limits = BatchLimits(max_record_bytes=limit)
    verify_batch(batch(limit), verify_key=verify_key, expected_source=SOURCE, limits=limits)
    with pytest.raises(BatchRejected) as rejected:
        verify_batch(batch(limit + 1), verify_key=verify_key, expected_source=SOURCE, limits=limits)

    assert (rejected.value.code, rejected.value.detail) == (
        "batch.limit",
        f"record 2 is over {limit} bytes",
    )


class _Checked(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str

    @field_validator("name")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str


class _A(BaseModel):
    kind: Literal["a", "b"]


class _B(BaseModel):
    kind: Literal["c"]


class _TwoTagsForOne(RootModel[Annotated[_A | _B, Field(discriminator="kind")]]):
    """msgspec gives a struct one tag."""


@pytest.mark.parametrize("model", [_Checked, _Open, _TwoTagsForOne])
def test_a_model_the_structs_cannot_express_is_refused(model: type[BaseModel]) -> None:
    with pytest.raises(Untranslatable):
        record_decoder(model)
