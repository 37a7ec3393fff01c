"""Typed records decoded by msgspec, from structs generated out of the pydantic record models.

The importer validates every record it reads. pydantic's `validate_json` ran at a third of
the speed of parsing alone; msgspec validates while it decodes, at about the speed of
`orjson.loads` building dicts. The pydantic models stay the contract (the exporter writes
them, the API and the tests build them) and the structs are generated from them, so every
constraint is written once. A model using anything the translation does not know exactly is
refused (`Untranslatable`) rather than decoded more loosely than the model says.

Decoding is strict: every field must arrive as the JSON type the exporter writes (no `"1"`
for an integer, no number for a date-time), where pydantic's lax mode would convert.
"""

from __future__ import annotations

import re
import types
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Literal, Self, Union, get_args, get_origin

import annotated_types
import msgspec
from pydantic import BaseModel, RootModel
from pydantic.fields import FieldInfo

from core.inputs import JSON_INTEGER

_PLAIN = (int, float, str, bool, uuid.UUID, datetime, date, type(None))
_BOUNDS = {
    annotated_types.Ge: "ge",
    annotated_types.Gt: "gt",
    annotated_types.Le: "le",
    annotated_types.Lt: "lt",
    annotated_types.MinLen: "min_length",
    annotated_types.MaxLen: "max_length",
    annotated_types.MultipleOf: "multiple_of",
}
_ANCHORED_END = re.compile(r"(?<!\\)\$$")


class Untranslatable(TypeError):
    """The model uses something the generated struct would not check the same way."""


class ImportedRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The base of the generated structs: what the apply code reads of a pydantic record.

    The stream models are root models whose `root` is the record; the apply code takes a
    record's fields as `record.root.__dict__` (or `model_dump()` when it nests models), as
    pydantic keeps them. A struct is its own root and builds that dict on demand.
    `gc=False`: decoded JSON cannot form reference cycles, and untracked objects spare the
    collector millions of visits during a large import.
    """

    @property
    def root(self) -> Self:
        return self

    @property
    def __dict__(self) -> dict[str, Any]:  # type: ignore[override]
        return msgspec.structs.asdict(self)  # a tagged struct adds its tag (`_tagged_fields`)

    def model_dump(self) -> dict[str, Any]:
        """The fields as plain Python values, nested records as dicts (as pydantic's)."""
        return {name: _dumped(value) for name, value in self.__dict__.items()}


@dataclass(frozen=True)
class RecordDecoder:
    """Decodes one line into a validated record of `model`'s generated struct."""

    model: type[BaseModel]
    """The contract; its own validation explains a line the struct refused."""
    decode: Callable[[bytes], Any]


@cache
def record_decoder(model: type[BaseModel]) -> RecordDecoder:
    """The decoder of `model`: a plain model, or a root model over a union discriminated by
    a literal field (the stream models). Raises `Untranslatable`."""
    target = _root_struct(model) if issubclass(model, RootModel) else _model_struct(model)
    return RecordDecoder(model, msgspec.json.Decoder(target).decode)


def _root_struct(model: type[RootModel[Any]]) -> Any:
    root = model.model_fields["root"]
    members = [root.annotation]
    if get_origin(root.annotation) in (Union, types.UnionType):
        members = list(get_args(root.annotation))
    tag_field = root.discriminator
    if not isinstance(tag_field, str) or root.metadata:
        raise Untranslatable(f"{model.__name__}: a root model needs a field discriminator")
    if len(members) == 1:
        # A union of one: msgspec would take a missing tag, pydantic refuses it.
        return _model_struct(members[0], required=tag_field)
    return Union[tuple(_model_struct(member, tag_field=tag_field) for member in members)]  # noqa: UP007 - built at run time


def _model_struct(
    model: Any, *, tag_field: str | None = None, required: str | None = None
) -> type[ImportedRecord]:
    if not (isinstance(model, type) and issubclass(model, BaseModel)) or issubclass(
        model, RootModel
    ):
        raise Untranslatable(f"{model!r} is not a plain pydantic model")
    extra = model.model_config.get("extra")
    decorators = model.__pydantic_decorators__
    checks = [d.func for d in decorators.model_validators.values() if d.info.mode == "after"]
    if (
        extra == "allow"
        or decorators.field_validators
        or decorators.validators
        or decorators.root_validators
        or len(checks) != len(decorators.model_validators)
    ):
        raise Untranslatable(f"{model.__name__}: extra fields or validators beyond 'after'")
    tag: str | None = None
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for name, info in model.model_fields.items():
        if info.alias not in (None, name) or info.validation_alias not in (None, name):
            raise Untranslatable(f"{model.__name__}.{name}: aliases")
        if name == tag_field:
            literal = get_args(info.annotation) if get_origin(info.annotation) is Literal else ()
            tag = literal[0] if len(literal) == 1 else None
            continue
        annotation = _constrained(_struct_type(info.annotation), info.metadata)
        if name == required or info.is_required():
            fields.append((name, annotation))
        elif info.default_factory is not None:
            fields.append((name, annotation, msgspec.field(default_factory=info.default_factory)))  # type: ignore[arg-type]
        elif isinstance(info.default, (*_PLAIN, tuple, frozenset)):
            fields.append((name, annotation, info.default))
        else:
            raise Untranslatable(f"{model.__name__}.{name}: a mutable default")
    if tag_field is not None and not isinstance(tag, str):
        raise Untranslatable(f"{model.__name__}.{tag_field}: a tag is one literal string")
    namespace: dict[str, Any] = {"__post_init__": _after(checks)} if checks else {}
    if tag_field is not None and tag is not None:
        namespace[tag_field] = tag  # read as `record.root.kind`, as on the pydantic record
        namespace["__dict__"] = _tagged_fields(tag_field, tag)
    return msgspec.defstruct(  # type: ignore[return-value]
        model.__name__,
        fields,
        bases=(ImportedRecord,),
        module=__name__,
        namespace=namespace,
        tag=tag,
        tag_field=tag_field,
        forbid_unknown_fields=extra == "forbid",
        frozen=True,
        kw_only=True,
        gc=False,
    )


def _struct_type(annotation: Any) -> Any:
    """The msgspec type of a pydantic annotation, constraints included."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        base, *extras = args
        metadata: list[Any] = []
        for extra in extras:
            metadata.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
        return _constrained(_struct_type(base), metadata)
    if annotation is Any or annotation in _PLAIN or origin is Literal:
        return annotation
    if origin in (Union, types.UnionType):
        return Union[tuple(_struct_type(arg) for arg in args)]  # noqa: UP007 - built at run time
    if origin is list:
        return list[_struct_type(args[0])]  # type: ignore[misc]
    if origin is dict:
        return dict[_struct_type(args[0]), _struct_type(args[1])]  # type: ignore[misc]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _model_struct(annotation)
    raise Untranslatable(f"no struct type for {annotation!r}")


def _constrained(annotation: Any, metadata: list[Any]) -> Any:
    """`annotation` with pydantic's constraints; on `X | None`, they bound `X` (as pydantic's)."""
    if not metadata:
        return annotation
    bounds: dict[str, Any] = {}
    for item in metadata:
        kind = _BOUNDS.get(type(item))
        if item is JSON_INTEGER:
            continue  # the API's refusal of `false` and "1": msgspec's int refuses them too
        if kind is not None:
            bounds[kind] = getattr(item, kind)
        elif isinstance(item, annotated_types.BaseMetadata) and set(vars(item)) == {"pattern"}:
            # Python's `$` also matches before a final newline; pydantic's regex does not.
            bounds["pattern"] = _ANCHORED_END.sub(r"\\Z", vars(item)["pattern"])
        else:
            raise Untranslatable(f"no msgspec constraint for {item!r}")
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return Annotated[members[0], msgspec.Meta(**bounds)] | None
        raise Untranslatable(f"constraints on the union {annotation!r}")
    return Annotated[annotation, msgspec.Meta(**bounds)]


def _after(checks: list[Callable[[Any], Any]]) -> Callable[[Any], None]:
    """pydantic's `after` model validators, run on the struct (they read its attributes);
    their ValueError becomes msgspec's ValidationError."""

    def __post_init__(self: Any) -> None:
        for check in checks:
            check(self)

    return __post_init__


def _tagged_fields(tag_field: str, tag: str) -> property:
    """`__dict__` of a tagged struct: msgspec keeps the tag out of the fields, pydantic in
    (built per class: the apply code reads it once per record, on the import's hot path)."""
    asdict = msgspec.structs.asdict

    def fields(self: Any) -> dict[str, Any]:
        values = asdict(self)
        values[tag_field] = tag
        return values

    return property(fields)


def _dumped(value: Any) -> Any:
    if isinstance(value, ImportedRecord):
        return value.model_dump()
    if isinstance(value, dict):
        return {key: _dumped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_dumped(item) for item in value]
    return value
