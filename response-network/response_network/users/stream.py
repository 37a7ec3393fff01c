"""The `users` stream, master side: users and their API keys as versioned records; and the
users' own password changes that arrive from the request network (on `requests`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import Actor, AuditResult, record_audit
from core.db import utcnow
from response_network.api_keys.models import ApiKey
from response_network.audit.models import AuditEvent
from response_network.users.models import Role, User
from shared.records import PasswordChangeRecord, RequestsStreamRecord
from shared.streams import IN_CHUNK, USERS_STREAM, ApplyOutcome, OutboundStream, load_changed

log = structlog.get_logger(__name__)


def crossing_password_hash(user: User) -> str | None:
    """The hash the replica may hold: a user's always (it is how they log in there); an admin's
    or operator's only when `request_network_login` is on, so a copy taken from the exposed
    network cannot be cracked offline and replayed here. None clears the replica's copy."""
    if user.role == Role.USER or user.request_network_login:
        return user.password_hash
    return None


def _user_record(user: User) -> dict[str, Any]:
    return {
        "kind": "user",
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "role": str(user.role),
        "active": user.active,
        "password_hash": crossing_password_hash(user),
        "profile": user.profile,
        "limit_overrides": user.limit_overrides,
        "password_changed_at": user.password_changed_at,
        "version": user.version,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def _key_record(key: ApiKey) -> dict[str, Any]:
    return {
        "kind": "api_key",
        "id": key.id,
        "user_id": key.user_id,
        "name": key.name,
        "prefix": key.prefix,
        "secret_hash": key.secret_hash,
        "scopes": key.scopes,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "version": key.version,
    }


async def load_user_records(
    session: AsyncSession, refs: Sequence[tuple[str, uuid.UUID]]
) -> list[dict[str, Any]]:
    """Current state of the changed users and keys, users first so a key's owner precedes it."""
    return await load_changed(
        session, refs, (("user", User, _user_record), ("api_key", ApiKey, _key_record))
    )


USERS_OUT = OutboundStream(USERS_STREAM, load_user_records, models=(User, ApiKey))


IMPORT_ACTOR = Actor(id=None, name="transfer")
CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of this clock a change may be dated; later is refused, so a forged date
cannot make every later change look older."""


def _refusal(user: User | None, change: PasswordChangeRecord) -> str | None:
    """Why the master will not apply the change, or None."""
    if user is None:
        return "unknown user"
    if user.role != Role.USER:
        return "staff password: changed on the response network only"
    if not user.active:
        return "inactive user"
    if change.changed_at > utcnow() + CLOCK_SKEW:
        return "dated in the future"
    if user.password_changed_at is not None and change.changed_at <= user.password_changed_at:
        return "superseded by a later change"
    return None


async def apply_password_change_records(
    session: AsyncSession, records: Sequence[RequestsStreamRecord]
) -> ApplyOutcome:
    """Users' own password changes made on the request network, in the order they were made.

    Applied only to an active account of role `user` with no later change known here; the
    hash and its time become the master's (so the tokens the request network issued after the
    change stay good), and the next `users` export carries them back. Anything else is
    refused and audited as `user.password_change_refused`; the rest of the batch applies.
    """
    # By kind, not by class: the importer hands over msgspec structs with the same fields.
    changes = sorted(
        (record.root for record in records if record.root.kind == "password_change"),
        key=lambda change: change.changed_at,
    )
    ids = list({change.user_id for change in changes})
    users: dict[uuid.UUID, User] = {}
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        found = await session.scalars(select(User).where(User.id.in_(chunk)))
        users.update((user.id, user) for user in found)
    applied = 0
    for change in changes:
        user = users.get(change.user_id)
        if (
            user is not None
            and user.password_changed_at == change.changed_at
            and user.password_hash == change.password_hash
        ):
            continue  # this very change, delivered again
        refusal = _refusal(user, change)
        if refusal is not None:
            log.warning("password_change_refused", user_id=str(change.user_id), reason=refusal)
            record_audit(
                session=session,
                model=AuditEvent,
                actor=IMPORT_ACTOR,
                action="user.password_change_refused",
                object_type="user",
                object_id=change.user_id,
                result=AuditResult.FAILURE,
                details={"reason": refusal, "changed_at": change.changed_at.isoformat()},
            )
            continue
        assert user is not None
        user.password_hash = change.password_hash
        user.password_changed_at = change.changed_at
        record_audit(
            session=session,
            model=AuditEvent,
            actor=Actor(user.id, user.username),
            action="user.password_changed",
            object_type="user",
            object_id=user.id,
            details={"network": "request", "changed_at": change.changed_at.isoformat()},
        )
        applied += 1
    await session.flush()
    return ApplyOutcome(applied=applied)
