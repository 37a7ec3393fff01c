"""Two networks sharing one transfer directory, with their keys exchanged."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.security import hash_password
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.transfer.service import transfer_context as request_context
from request_network.users.models import User as ReplicaUser
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from response_network.transfer.service import transfer_context as response_context
from response_network.users.models import Role, User
from shared.exchange.context import TransferContext
from shared.exchange.keys import generate_keys, peer_key_path, public_key_path

PASSWORD_HASH = hash_password("a long enough password")


@dataclass
class Networks:
    response: ResponseRuntime
    request: RequestRuntime

    @property
    def response_ctx(self) -> TransferContext:
        return response_context(self.response)

    @property
    def request_ctx(self) -> TransferContext:
        return request_context(self.request)

    async def create_users(self, count: int, **fields: Any) -> list[uuid.UUID]:
        async with self.response.unit_of_work() as uow:
            users = [
                User(
                    username=f"{fields.get('prefix', 'user')}{i}-{uuid.uuid4().hex[:6]}",
                    email=f"{uuid.uuid4().hex[:10]}@example.org",
                    display_name=f"User {i}",
                    role=Role.USER,
                    active=True,
                    password_hash=PASSWORD_HASH,
                )
                for i in range(count)
            ]
            uow.session.add_all(users)
            await uow.session.flush()
            return [user.id for user in users]

    async def replica(self) -> dict[uuid.UUID, tuple[int, str, bool]]:
        async with self.request.unit_of_work() as uow:
            rows = await uow.session.execute(
                select(ReplicaUser.id, ReplicaUser.version, ReplicaUser.email, ReplicaUser.active)
            )
            return {row.id: (row.version, row.email, row.active) for row in rows}

    async def master(self) -> dict[uuid.UUID, tuple[int, str, bool]]:
        async with self.response.unit_of_work() as uow:
            rows = await uow.session.execute(select(User.id, User.version, User.email, User.active))
            return {row.id: (row.version, row.email, row.active) for row in rows}


def exchange_keys(response: ResponseSettings, request: RequestSettings) -> None:
    generate_keys(response)
    generate_keys(request)
    for mine, theirs in ((response, request), (request, response)):
        target = peer_key_path(mine)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(public_key_path(theirs), target)


@pytest.fixture
def networks(
    response_runtime: ResponseRuntime,
    request_runtime: RequestRuntime,
    response_settings: ResponseSettings,
    request_settings: RequestSettings,
) -> Networks:
    exchange_keys(response_settings, request_settings)
    return Networks(response_runtime, request_runtime)


def outbox_files(ctx: TransferContext) -> list[Path]:
    return sorted(p for p in ctx.outbox_dir.iterdir() if not p.name.startswith("."))
