"""The console of one network: its templates, its page registry (which drives both the routes'
role checks and the navigation), and rendering.

A page is declared once with `Console.page(...)`: the route gets the same role dependency as
the API route it stands beside, and, with `nav=`, a navigation link shown only to the roles
that pass that dependency. A role that may not act sees no link and gets 403 on the URL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.templating import Jinja2Templates

from core.openapi import api_router
from shared.platform.console.forms import field_id
from shared.platform.console.session import CSRF_FIELD, csrf_token
from shared.platform.principal_deps import IdentityDeps
from shared.principals import Role
from shared.scopes import Scope

PREFIX = "/console"
SHARED_TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class NavItem:
    title: str
    path: str
    role: Role


def _environment(templates: Path) -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(templates), FileSystemLoader(SHARED_TEMPLATES)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["field_id"] = field_id
    env.globals["CSRF_FIELD"] = CSRF_FIELD
    return env


class Console:
    """One network's console: `page` declares routes, `render` draws them in the layout."""

    def __init__(
        self, *, title: str, templates: Path, identity: IdentityDeps[Any, Any], home: str
    ) -> None:
        self.title = title
        self.identity = identity
        self.home = home
        """Where `/console/` sends a signed-in user."""
        self.nav: list[NavItem] = []
        self.templates = Jinja2Templates(env=_environment(templates))
        # Kept out of the OpenAPI description: these are pages, not the API.
        self.router = api_router(prefix=PREFIX, include_in_schema=False)
        self.router.add_api_route("/", self._index, methods=["GET"])

    async def _index(self) -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}{self.home}", status_code=303)

    def page(
        self,
        path: str,
        *,
        role: Role = Role.USER,
        scope: Scope | None,
        methods: Sequence[str] = ("GET",),
        nav: str | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare a console route at `/console{path}` that lets through `role` and above with
        `scope` (the API route's own check); `nav` names its link in the navigation."""
        check = self.identity.role(role, scope) if scope else self.identity.any_scope
        if nav is not None:
            self.nav.append(NavItem(nav, f"{PREFIX}{path}", role))

        def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            self.router.add_api_route(
                path,
                endpoint,
                methods=list(methods),
                dependencies=[Depends(check)],
                response_class=HTMLResponse,
            )
            return endpoint

        return register

    def links_for(self, user: Any) -> list[NavItem]:
        return [item for item in self.nav if user is not None and user.role.at_least(item.role)]

    def render(
        self,
        request: Request,
        template: str,
        *,
        user: Any = None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        return self.templates.TemplateResponse(
            request,
            template,
            {
                "console": self,
                "user": user,
                "nav": self.links_for(user),
                "csrf_token": csrf_token(request),
                **context,
            },
            status_code=status_code,
        )


def static_files() -> StaticFiles:
    """htmx and Pico CSS, vendored with their licences: nothing is fetched at run time."""
    return StaticFiles(directory=STATIC)
