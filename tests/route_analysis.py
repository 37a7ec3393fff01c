"""Remember FastAPI's analysis of endpoint and dependency signatures across the apps a test
process builds.

Every test builds its network's app afresh (its own database, cache and settings), and
FastAPI analyses each route's signature and dependencies anew for each app: reading the
signatures (annotations evaluated as strings) and building a pydantic `TypeAdapter` per
parameter. That was about 0.4 s a test, most of the time of an in-process API test. The
results depend only on the function and the parameter's annotation and default, which are
the same objects from one app to the next, so the first app's analysis serves the others.
Only the test process does this; a served network builds its app once.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi import routing
from fastapi import utils as fastapi_utils
from fastapi.dependencies import utils

_signatures: dict[Any, inspect.Signature] = {}
_params: dict[tuple[str, int, int, bool], tuple[Any, Any, utils.ParamDetails]] = {}
_response_fields: dict[tuple[str, int, str], tuple[Any, Any]] = {}


def install() -> None:
    get_typed_signature, analyze_param = utils.get_typed_signature, utils.analyze_param
    if getattr(analyze_param, "remembered", False):
        return

    def typed_signature(call: Callable[..., Any]) -> inspect.Signature:
        try:
            return _signatures[call]
        except KeyError:
            signature = _signatures[call] = get_typed_signature(call)
            return signature
        except TypeError:  # an unhashable callable: analysed each time, as FastAPI does
            return get_typed_signature(call)

    def param(
        *, param_name: str, annotation: Any, value: Any, path_param_names: set[str]
    ) -> utils.ParamDetails:
        # Keyed by identity; the entry keeps both objects alive so their ids stay theirs.
        key = (param_name, id(annotation), id(value), param_name in path_param_names)
        known = _params.get(key)
        if known is not None and known[0] is annotation and known[1] is value:
            return known[2]
        details = analyze_param(
            param_name=param_name,
            annotation=annotation,
            value=value,
            path_param_names=path_param_names,
        )
        _params[key] = (annotation, value, details)
        return details

    create_model_field = fastapi_utils.create_model_field

    def response_field(name: str, type_: Any, mode: Any = "validation", **rest: Any) -> Any:
        # What routes make for their response models: only these come here without `rest`.
        if rest:
            return create_model_field(name, type_, mode=mode, **rest)
        key = (name, id(type_), mode)
        known = _response_fields.get(key)
        if known is not None and known[0] is type_:
            return known[1]
        field = create_model_field(name, type_, mode=mode)
        _response_fields[key] = (type_, field)
        return field

    param.remembered = True  # type: ignore[attr-defined]
    utils.get_typed_signature = typed_signature
    utils.analyze_param = param
    vars(routing)["create_model_field"] = response_field  # the name routes call it by
