"""Paged console lists, by the API's rule: an opaque keyset `cursor` the service minted and a
`limit` of 1 to 200 rows (50 by default; more is a 422 page, as in the API). Keyset pages only
run forward, so a page's links also carry `back`, the cursors of the pages before it (the first
page's is empty): "previous" is the last of them. The trail is bounded; past its length the
oldest pages drop out of it and "previous" from there leads to the first page instead.

No `from __future__ import annotations`: FastAPI reads the dependency's annotations.
"""

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query
from pydantic import StringConstraints

from core.pagination import DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, MAX_PAGE_SIZE
from shared.platform.audit import NO_NUL
from shared.platform.console.site import PREFIX

MAX_TRAIL = 20
"""Earlier pages a link remembers: keeps an address short (each cursor is ~100 characters)."""

CursorText = Annotated[str, StringConstraints(max_length=MAX_CURSOR_LENGTH, pattern=NO_NUL)]


@dataclass(frozen=True)
class PageLinks:
    """What a pager shows: the page's number (None once the trail lost the first page), its
    first row's number, and the addresses of the next, previous and first pages."""

    number: int | None
    first_row: int | None
    next: str | None
    previous: str | None
    first: str | None


@dataclass(frozen=True)
class Paging:
    cursor: str | None
    limit: int
    back: list[str] = field(default_factory=list)

    def links(self, path: str, next_cursor: str | None, **filters: Any) -> PageLinks:
        """The links of this page of `PREFIX + path` (`filters` kept in each, None and ""
        left out), given the cursor the service returned after it."""
        kept = {name: _query_value(value) for name, value in filters.items()}
        kept = {name: value for name, value in kept.items() if value != ""}
        if self.limit != DEFAULT_PAGE_SIZE:
            kept["limit"] = self.limit

        def address(cursor: str, back: list[str]) -> str:
            if not cursor:
                return _bare(path, kept)
            return f"{PREFIX}{path}?" + urlencode({**kept, "cursor": cursor, "back": back}, True)

        if self.cursor is None:
            number: int | None = 1
            previous = first = None
        else:
            # The first page is "" at the head of a whole trail; a cut trail lost it.
            number = len(self.back) + 1 if self.back[:1] == [""] else None
            first = _bare(path, kept)
            previous = address(self.back[-1], self.back[:-1]) if self.back else first
        trail = [*self.back, self.cursor or ""][-MAX_TRAIL:] if self.cursor else [""]
        return PageLinks(
            number=number,
            first_row=None if number is None else (number - 1) * self.limit + 1,
            next=address(next_cursor, trail) if next_cursor else None,
            previous=previous,
            first=first,
        )


def _query_value(value: Any) -> Any:
    """A filter as the query spells it: enums by value, booleans lower case, None as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return getattr(value, "value", value)


FIRST_PAGE = Paging(cursor=None, limit=DEFAULT_PAGE_SIZE)


def _bare(path: str, kept: dict[str, Any]) -> str:
    return f"{PREFIX}{path}" + (f"?{urlencode(kept)}" if kept else "")


async def paging(
    cursor: Annotated[CursorText | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    back: Annotated[list[CursorText], Query(max_length=MAX_TRAIL)] = [],  # noqa: B006 - FastAPI copies it
) -> Paging:
    return Paging(cursor=cursor or None, limit=limit, back=back)


PagingDep = Annotated[Paging, Depends(paging)]
