"""Change tracking is declared on the models: a process that loaded only a network's models
(a script, a CLI command, a worker that never imports the streams) still writes the
`change_log` rows its changes need to travel."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from request_network.runtime import RequestRuntime
from request_network.transfer.service import stream_registry as request_streams
from response_network.transfer.service import stream_registry as response_streams
from shared.streams import CONTROL_STREAM, StreamRegistry
from tests.conftest import Databases

ROOT = Path(__file__).resolve().parents[2]

TRACK_IN_A_FRESH_INTERPRETER = """
import asyncio, importlib, json, sys, uuid
network, url = sys.argv[1], sys.argv[2]
db = importlib.import_module(f"{network}_network.db")
db.load_models()
from sqlalchemy import select
from core.db import create_engine, create_session_factory
from shared.changes import tracking_of

models = {mapper.class_.__name__: mapper.class_ for mapper in db.Base.registry.mappers}
tracked = {
    f"{model.__module__}.{model.__qualname__}": tracking_of(model).stream
    for model in models.values()
    if tracking_of(model) is not None
}
loaded = sorted(
    name for name, module in sys.modules.items()
    if name.startswith(f"{network}_network.") and not hasattr(module, "__path__")
)

def new_row():
    # One exported model per network, created and then changed in a field that travels.
    if network == "response":
        row = models["User"](username="probe", email="probe@example.org", role="user")
        return row, "display_name", "Probe"
    row = models["Request"](
        owner_id=uuid.uuid4(), request_type="echo", type_version=1, parameters={}, priority=5,
        request_hash="0" * 64,
    )
    return row, "priority", 6

async def change():
    engine = create_engine(url)
    row, field, value = new_row()
    change_log = tracking_of(type(row)).change_log
    async with create_session_factory(engine)() as session:
        session.add(row)
        await session.commit()
        setattr(row, field, value)
        await session.commit()
        logged = await session.execute(
            select(change_log.stream, change_log.record_type, change_log.record_id)
            .order_by(change_log.id)
        )
        rows = [[stream, record_type, str(record_id)] for stream, record_type, record_id in logged]
    await engine.dispose()
    return {"id": str(row.id), "version": row.version, "change_log": rows}

print(json.dumps({"tracked": tracked, "loaded": loaded, "changed": asyncio.run(change())}))
"""


def _in_a_fresh_interpreter(network: str, url: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", TRACK_IN_A_FRESH_INTERPRETER, network, url],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _exported_models(streams: StreamRegistry) -> dict[str, str]:
    """`module.Model` -> stream, for every model an outbound stream names."""
    exported: dict[str, str] = {}
    for name, stream in streams.outbound.items():
        if name == CONTROL_STREAM:
            continue
        assert stream.models, f"the {name} stream names no model whose changes it exports"
        exported.update({f"{m.__module__}.{m.__qualname__}": name for m in stream.models})
    return exported


@pytest.mark.parametrize(
    ("network", "stream", "record_type"),
    [("response", "users", "user"), ("request", "requests", "request")],
)
async def test_loading_the_models_alone_tracks_every_exported_model(
    network: str,
    stream: str,
    record_type: str,
    backend: str,
    databases: Databases,
    request_runtime: RequestRuntime,
) -> None:
    streams = response_streams() if network == "response" else request_streams(request_runtime)
    url = await databases.migrated(network, backend)

    probe = _in_a_fresh_interpreter(network, url)

    # Nothing but the models was imported, and every exported model is tracked on its stream.
    assert all(
        name.endswith(".models") or name == f"{network}_network.db" for name in probe["loaded"]
    ), probe["loaded"]
    assert probe["tracked"] == _exported_models(streams)
    # Created, then changed: two change_log rows name the row, and its version counts both.
    changed = probe["changed"]
    assert changed["change_log"] == [[stream, record_type, changed["id"]]] * 2
    assert changed["version"] == 2
