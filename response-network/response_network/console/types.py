"""Request types (admins): the list, a new type, one type's definition with a JSON Schema
editor whose preview is the form users will see, handler settings, and a try panel; over the
services behind `/admin/request-types` (audited there), with the same admin check.

No `from __future__ import annotations`: FastAPI reads the closures' parameter annotations.
"""

import json
from typing import Annotated, Any

from fastapi import Depends
from fastapi import Request as HttpRequest
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from core.deps import UnitOfWorkDep
from core.errors import AirlockError, Conflict, Invalid
from response_network.catalog import service
from response_network.catalog.models import RequestType
from response_network.catalog.router import HandlersDep, SettingsDep
from response_network.catalog.schemas import RequestTypeCreate, RequestTypeUpdate, TypeName
from response_network.console.admin_forms import BadJson, form_integer, json_field, pretty_json
from response_network.console.deps import ConsoleActor, ConsoleUser
from response_network.handlers import HandlerRegistry
from response_network.handlers.search import SearchSettings
from response_network.handlers.search_template import TemplateSettings
from response_network.users.models import Role, User
from shared.parameters import check_parameter_schema
from shared.platform.console import answers
from shared.platform.console.forms import (
    GENERAL,
    JSON_FIELD,
    FilledForm,
    attach_errors,
    error_field,
    field_message,
    fields_of,
    fill,
    validation_errors,
)
from shared.platform.console.session import read_form
from shared.platform.console.site import PREFIX, Console
from shared.scopes import Scope

ADMIN = Scope.ADMIN
SETTING_KEYS = {
    "sql": ("source", "query"),
    "search": tuple(SearchSettings.model_fields),
    "search_template": tuple(TemplateSettings.model_fields),
}
"""The settings keys shown next to the editor for the handlers that take some."""
TEXT_FIELDS = ("name", "title", "description", "handler")
NUMBER_FIELDS = ("expected_answer_seconds", "max_results")
SCHEMA_FIELDS = ("parameter_schema", "handler_settings")
BLANK = {
    "parameter_schema": '{\n  "type": "object",\n  "properties": {}\n}',
    "handler_settings": "{}",
    "expected_answer_seconds": "60",
    "active": "on",
}


async def managed_type(name: TypeName, uow: UnitOfWorkDep) -> RequestType:
    return await service.get_request_type(session=uow.session, name=name)


ManagedType = Annotated[RequestType, Depends(managed_type)]


def type_data(posted: dict[str, Any], *, new: bool) -> dict[str, Any]:
    """The form as the API's body; every field is sent, so an emptied one is refused or
    cleared as the API would."""
    names = TEXT_FIELDS if new else TEXT_FIELDS[1:]
    data: dict[str, Any] = {name: posted.get(name, "") for name in names}
    data["active"] = posted.get("active") == "on"
    for name in SCHEMA_FIELDS:
        data[name] = json_field(posted, name, empty={})
    data["expected_answer_seconds"] = form_integer(posted.get("expected_answer_seconds", ""))
    max_results = str(posted.get("max_results", "")).strip()
    data["max_results"] = form_integer(max_results) if max_results else None
    return data


def type_form(item: RequestType) -> dict[str, Any]:
    return {
        "name": item.name,
        "title": item.title,
        "description": item.description,
        "handler": item.handler,
        "active": "on" if item.active else "",
        "parameter_schema": pretty_json(item.parameter_schema),
        "handler_settings": pretty_json(item.handler_settings),
        "expected_answer_seconds": item.expected_answer_seconds,
        "max_results": item.max_results if item.max_results is not None else "",
    }


def preview_of(text: str) -> tuple[FilledForm | None, str | None]:
    """The form a schema gives users, or the API's refusal of the schema."""
    try:
        schema = json.loads(text)
    except ValueError as exc:
        return None, f"not valid JSON: {exc}"
    if not isinstance(schema, dict):
        return None, "must be a JSON object"
    try:
        check_parameter_schema(schema)
    except Invalid as refused:
        return None, refused.detail
    return FilledForm(fields_of(schema), {}, {}), None


def refused_fields(exc: AirlockError) -> dict[str, str]:
    """A definition's refusal next to its textarea (`invalid.parameter_schema`, ...)."""
    name = exc.code.partition(".")[2]
    known = SCHEMA_FIELDS + TEXT_FIELDS
    return {name if name in known else GENERAL: exc.detail}


def add_type_pages(console: Console) -> None:
    page = console.page

    @page("/types", role=Role.ADMIN, scope=ADMIN, nav="Request types")
    async def types_page(
        request: HttpRequest, user: ConsoleUser, uow: UnitOfWorkDep, deleted: bool = False
    ) -> Response:
        items = await service.list_request_types(session=uow.session, include_deleted=deleted)
        return console.render(request, "types.html", user=user, items=items, deleted=deleted)

    def editor(
        request: HttpRequest,
        user: User,
        handlers: HandlerRegistry,
        *,
        item: RequestType | None,
        posted: dict[str, Any],
        errors: dict[str, str] | None = None,
        status_code: int = 200,
        **more: Any,
    ) -> Response:
        preview, refusal = preview_of(str(posted.get("parameter_schema", "")))
        return console.render(
            request,
            "type.html",
            status_code=status_code,
            user=user,
            item=item,
            posted=posted,
            errors=errors or {},
            handlers=sorted(handlers.names()),
            setting_keys=SETTING_KEYS,
            preview=preview,
            refusal=refusal,
            JSON_FIELD=JSON_FIELD,
            GENERAL=GENERAL,
            **more,
        )

    def with_try(item: RequestType, form: FilledForm | None = None, **result: Any) -> Any:
        """The try panel's form: the type's own generated form, as users see it."""
        return {"try_form": form or fill(item.parameter_schema, {}), **result}

    # `_`: no type name starts with it, so these paths never shadow a type's page.
    @page("/types/_new", role=Role.ADMIN, scope=ADMIN)
    async def new_type_page(
        request: HttpRequest, user: ConsoleUser, handlers: HandlersDep
    ) -> Response:
        return editor(request, user, handlers, item=None, posted=BLANK)

    @page("/types/_preview", role=Role.ADMIN, scope=ADMIN, methods=["POST"])
    async def preview(request: HttpRequest, user: ConsoleUser) -> Response:
        """htmx: the form the textarea's schema gives users, or the schema's refusal."""
        posted = await read_form(request)
        form, refusal = preview_of(str(posted.get("parameter_schema", "")))
        return console.render(
            request,
            "type_preview.html",
            user=user,
            preview=form,
            refusal=refusal,
            JSON_FIELD=JSON_FIELD,
        )

    @page("/types", role=Role.ADMIN, scope=ADMIN, methods=["POST"])
    async def create_type(
        request: HttpRequest,
        user: ConsoleUser,
        actor: ConsoleActor,
        handlers: HandlersDep,
        uow: UnitOfWorkDep,
    ) -> Response:
        posted = await read_form(request)
        try:
            data = RequestTypeCreate.model_validate(type_data(posted, new=True))
            item = await service.create_request_type(
                session=uow.session, handlers=handlers, data=data, actor=actor
            )
        except BadJson as exc:
            errors, status = {exc.field: str(exc)}, 422
        except ValidationError as exc:
            errors, status = validation_errors(exc), 422
        except (Invalid, Conflict) as exc:
            errors, status = refused_fields(exc), exc.status_code
        else:
            return RedirectResponse(f"{PREFIX}/types/{item.name}", status_code=303)
        return editor(
            request, user, handlers, item=None, posted=posted, errors=errors, status_code=status
        )

    @page("/types/{name}", role=Role.ADMIN, scope=ADMIN)
    async def type_page(
        request: HttpRequest,
        item: ManagedType,
        user: ConsoleUser,
        handlers: HandlersDep,
        saved: bool = False,
    ) -> Response:
        return editor(
            request,
            user,
            handlers,
            item=item,
            posted=type_form(item),
            message="Saved." if saved else None,
            **with_try(item),
        )

    @page("/types/{name}", role=Role.ADMIN, scope=ADMIN, methods=["POST"])
    async def update_type(
        request: HttpRequest,
        item: ManagedType,
        user: ConsoleUser,
        actor: ConsoleActor,
        handlers: HandlersDep,
        uow: UnitOfWorkDep,
    ) -> Response:
        posted = await read_form(request)
        try:
            data = RequestTypeUpdate.model_validate(type_data(posted, new=False))
            await service.update_request_type(
                session=uow.session, handlers=handlers, item=item, data=data, actor=actor
            )
        except BadJson as exc:
            errors, status = {exc.field: str(exc)}, 422
        except ValidationError as exc:
            errors, status = validation_errors(exc), 422
        except (Invalid, Conflict) as exc:
            errors, status = refused_fields(exc), exc.status_code
        else:
            return RedirectResponse(f"{PREFIX}/types/{item.name}?saved=true", status_code=303)
        posted["name"] = item.name
        return editor(
            request,
            user,
            handlers,
            item=item,
            posted=posted,
            errors=errors,
            status_code=status,
            **with_try(item),
        )

    @page("/types/{name}/try", role=Role.ADMIN, scope=ADMIN, methods=["POST"])
    async def try_type(
        request: HttpRequest,
        item: ManagedType,
        user: ConsoleUser,
        handlers: HandlersDep,
        settings: SettingsDep,
    ) -> Response:
        """A dry run shown on this answer (nothing is stored, so nothing to redirect to)."""
        posted = await read_form(request)
        form = fill(item.parameter_schema, posted)
        result: dict[str, Any] = {}
        status = 422
        if not form.errors:
            try:
                tried = await service.try_request_type(
                    handlers=handlers, settings=settings, item=item, parameters=form.parameters
                )
            except AirlockError as refused:  # the API's refusal, next to the field it names
                field = refused.extra.get("field")
                path = field if isinstance(field, str) else None
                where = error_field(form, path, refused.detail)
                message = refused.detail if where == JSON_FIELD else None
                form.errors[where] = message or field_message(refused.detail, path)
                status = refused.status_code
            else:
                body = tried.answer.body
                result = {
                    "tried": tried,
                    "table": answers.table_of(body),
                    "text": answers.pretty(body),
                    "query": None if tried.query is None else answers.pretty(tried.query),
                }
                status = 200
        attach_errors(form)
        return editor(
            request,
            user,
            handlers,
            item=item,
            posted=type_form(item),
            status_code=status,
            **with_try(item, form, **result),
        )
