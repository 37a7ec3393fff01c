"""docs/quickstart.md, run: its curl, Python and `airlock-client` blocks, as written, against
both networks served as `make run` serves them (uvicorn, embedded backends, each network's
in-process scheduler moving the batches), in a thread of this process. The `make run` block
itself is `tests/e2e/test_dev.py`'s: `airlock dev` seeds the admin and lets it log in on the
request network."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from request_network.app import create_app as create_request_app
from request_network.catalog.models import RequestType
from request_network.jobs import registry as request_registry
from request_network.runtime import RequestRuntime
from request_network.settings import RequestSettings
from request_network.users.models import User
from response_network.app import create_app as create_response_app
from response_network.bootstrap import seed_admin, seed_catalog
from response_network.jobs import registry as response_registry
from response_network.runtime import ResponseRuntime
from response_network.settings import ResponseSettings
from tests.conftest import Databases
from tests.e2e.console.system import ConsoleSystem
from tests.shared.exchange.conftest import exchange_keys
from tests.waiting import scaled, until

QUICKSTART = Path(__file__).resolve().parents[2] / "docs" / "quickstart.md"
DOCUMENTED_URL = "http://127.0.0.1:8001"
PASSWORD = "a long development passphrase"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


class RunningSystem(ConsoleSystem):
    """What `make run` starts: the seeded admin (who may log in on the request network) and
    catalog, and the networks' schedulers on, so batches move on their own."""

    async def _start(self) -> None:
        transfer = self.directory / "transfer"
        self.response_settings = ResponseSettings(
            environment="test",
            var_dir=self.directory / "response",
            transfer_dir=transfer,
            database_url=await self.databases.migrated("response", "embedded"),
            admin_password=PASSWORD,
            seed_admin_request_network_login=True,
        )
        self.request_settings = RequestSettings(
            environment="test",
            var_dir=self.directory / "request",
            transfer_dir=transfer,
            database_url=await self.databases.migrated("request", "embedded"),
        )
        exchange_keys(self.response_settings, self.request_settings)
        self.response = ResponseRuntime.build(self.response_settings, response_registry)
        self.request = RequestRuntime.build(self.request_settings, request_registry)
        await seed_admin(self.response, self.response_settings)
        await seed_catalog(self.response)
        self.response_url = await self._serve(
            create_response_app(self.response_settings, self.response)
        )
        self.request_url = await self._serve(
            create_request_app(self.request_settings, self.request)
        )

        async def catalog_arrived() -> bool:
            async with self.request.unit_of_work() as uow:
                admin = await uow.session.scalar(select(User.id).where(User.username == "admin"))
                echo = await uow.session.scalar(select(RequestType.id))
            return admin is not None and echo is not None

        await until(catalog_arrived, what="the admin and the catalog on the request network")


def blocks(language: str) -> list[str]:
    return [code for lang, code in BLOCK.findall(QUICKSTART.read_text()) if lang == language]


@pytest.fixture(scope="module")
def system(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSystem]:
    started = RunningSystem(tmp_path_factory.mktemp("quickstart"), databases)
    started.start()
    yield started
    started.stop()


def run(system: RunningSystem, command: list[str], script: str, home: Path) -> str:
    """Run a block as the reader would, with the documented URL pointing at `system`."""
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")},
        "AIRLOCK_ADMIN_PASSWORD": PASSWORD,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "XDG_CONFIG_HOME": str(home),
    }
    done = subprocess.run(
        [*command, script.replace(DOCUMENTED_URL, system.request_url)],
        env=env,
        capture_output=True,
        text=True,
        timeout=scaled(60),
        check=False,
    )
    assert done.returncode == 0, f"{command} failed:\n{script}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_every_block_of_the_quickstart_answers(system: RunningSystem, tmp_path: Path) -> None:
    start, curl, client = blocks("sh")
    [python] = blocks("python")

    by_curl = run(system, ["bash", "-euo", "pipefail", "-c"], curl, tmp_path)
    by_python = run(system, [sys.executable, "-c"], python, tmp_path)
    by_cli = run(system, ["bash", "-euo", "pipefail", "-c"], client, tmp_path)

    assert "make run" in start
    assert by_curl.splitlines()[0] == "echo"
    answer = json.loads(by_curl.splitlines()[-1])
    assert (answer["status"], answer["body"]) == ("delivered", {"message": "hello"})
    assert by_python.strip() == "{'message': 'hello'}"
    assert "Logged in as admin" in by_cli
    assert by_cli.rstrip().endswith('{\n  "message": "hello"\n}')
