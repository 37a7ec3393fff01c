"""docker-compose.dev.yml, checked without a container engine: the Compose Specification's
schema, then what Airlock's deployment promises on top of it.

deploy/compose-spec.json is `schema/compose-spec.json` of github.com/compose-spec/compose-spec
(Apache-2.0) at commit 170098ba07d9f53c383a41bfd4c5166b0a4529a6, unchanged.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.dev.yml"
SCHEMA = ROOT / "deploy" / "compose-spec.json"
REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)(?::?[?-][^}]*)?\}")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|_KEY$|TOKEN|AUTH", re.IGNORECASE)

RESPONSE_PORTS = {5432, 6379, 8000}
REQUEST_PORTS = {5433, 6380, 8001}
BOTH = {"response", "request"}
# Profile sets an operator starts: the host ports and the networks each must bring up.
PROFILE_SETS: dict[tuple[str, ...], tuple[set[int], set[str]]] = {
    ("response",): (RESPONSE_PORTS, {"response"}),
    ("request",): (REQUEST_PORTS, {"request"}),
    ("all",): (RESPONSE_PORTS | REQUEST_PORTS, BOTH),
    ("search",): (RESPONSE_PORTS | {9200}, {"response"}),
    ("request", "search"): (RESPONSE_PORTS | REQUEST_PORTS | {9200}, BOTH),
    ("all", "monitoring"): (RESPONSE_PORTS | REQUEST_PORTS | {5555, 5556}, BOTH),
    ("monitoring",): ({5555, 5556}, set()),
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def active(services: dict[str, dict[str, Any]], profiles: tuple[str, ...]) -> dict[str, Any]:
    return {
        name: service
        for name, service in services.items()
        if set(service.get("profiles", [])) & set(profiles)
    }


def host_ports(service: dict[str, Any]) -> list[int]:
    # "127.0.0.1:8000:8000" or "8000:8000": the host port is the second last part.
    return [int(str(port).split(":")[-2]) for port in service.get("ports", [])]


def test_the_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    errors = [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(compose)]
    assert errors == []

    # The schema does catch mistakes: a misspelt key or a wrong condition is refused.
    broken = copy.deepcopy(compose)
    broken["services"]["response-api"]["healthchek"] = broken["services"]["response-api"].pop(
        "healthcheck"
    )
    broken["services"]["request-api"]["depends_on"] = {"request-db": {"condition": "healthy"}}
    refused = {tuple(error.path) for error in validator.iter_errors(broken)}
    assert refused == {("services", "response-api"), ("services", "request-api", "depends_on")}


def test_every_service_has_a_healthcheck_and_a_profile(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        test = service.get("healthcheck", {}).get("test") or ["missing"]
        assert test[0] in ("CMD", "CMD-SHELL"), name
        assert service.get("profiles"), f"{name} would start without any profile"


def test_dependencies_wait_until_healthy(services: dict[str, dict[str, Any]]) -> None:
    airlock = {n: s for n, s in services.items() if "build" in s}
    assert len(airlock) == 8
    for name, service in airlock.items():
        depends = service["depends_on"]
        network = name.split("-")[0]
        assert {f"{network}-db", f"{network}-redis"} <= set(depends), name
        assert {d["condition"] for d in depends.values()} == {"service_healthy"}, name
        for dependency in depends:
            # Each dependency is started by every profile that starts the service.
            assert set(service["profiles"]) <= set(services[dependency]["profiles"]), name


@pytest.mark.parametrize("profiles", list(PROFILE_SETS), ids="+".join)
def test_profiles_publish_the_documented_ports_once(
    services: dict[str, dict[str, Any]], profiles: tuple[str, ...]
) -> None:
    running = active(services, profiles)
    ports = [port for service in running.values() for port in host_ports(service)]
    expected_ports, networks = PROFILE_SETS[profiles]
    assert sorted(ports) == sorted(expected_ports)
    roles = {name.removesuffix("-search") for name in running if "build" in running[name]}
    assert roles == {f"{n}-{role}" for n in networks for role in ("api", "worker", "beat")}


def test_published_ports_are_local_only(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), name


def test_the_search_profile_puts_the_response_network_on_elasticsearch(
    services: dict[str, dict[str, Any]],
) -> None:
    elastic = services["elasticsearch"]
    assert host_ports(elastic) == [9200]
    assert "9200" in " ".join(elastic["healthcheck"]["test"])
    for name in ("response-api-search", "response-worker-search"):
        environment = services[name]["environment"]
        assert environment["AIRLOCK_RESPONSE_SEARCH_BACKEND"] == "elasticsearch"
        assert environment["AIRLOCK_RESPONSE_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
        assert services[name]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    for name in ("response-api", "response-worker"):
        assert "AIRLOCK_RESPONSE_SEARCH_BACKEND" not in services[name]["environment"]


def test_the_monitoring_profile_runs_flower_on_each_networks_broker_behind_basic_auth(
    services: dict[str, dict[str, Any]],
) -> None:
    flowers = {name: s for name, s in services.items() if "monitoring" in s.get("profiles", [])}
    assert set(flowers) == {"response-flower", "request-flower"}
    for name, service in flowers.items():
        network = name.split("-")[0]
        # Only when asked for: no other profile (what validate_setup.sh checks) starts Flower.
        assert service["profiles"] == ["monitoring"], name
        assert service["image"].startswith("mher/flower:"), name
        assert service["networks"] == [network]
        environment = service["environment"]
        auth = REFERENCE.fullmatch(environment["FLOWER_BASIC_AUTH"])
        assert auth is not None, name
        assert auth.group(1) == f"{network.upper()}_FLOWER_AUTH"
        broker = environment["CELERY_BROKER_URL"]
        assert broker.startswith("redis://:${" + network.upper() + "_REDIS_PASSWORD")
        assert broker.endswith(f"@{network}-redis:6379/0")
        assert "FLOWER_BASIC_AUTH" in " ".join(service["healthcheck"]["test"])
    ports = [port for service in flowers.values() for port in host_ports(service)]
    others = {port for n, s in services.items() if n not in flowers for port in host_ports(s)}
    assert sorted(ports) == [5555, 5556]
    assert not set(ports) & others


def test_each_network_has_its_own_database_redis_and_network(
    services: dict[str, dict[str, Any]],
) -> None:
    for network in ("response", "request"):
        own = {n: s for n, s in services.items() if n.startswith(f"{network}-")}
        assert {s["networks"][0] for s in own.values()} == {network}
        for service in own.values():
            assert service["networks"] == [network]
            for value in service.get("environment", {}).values():
                assert "request-" not in str(value) or network == "request"
                assert "response-" not in str(value) or network == "response"


def test_both_networks_share_only_the_transfer_volume(
    services: dict[str, dict[str, Any]],
) -> None:
    mounts: dict[str, set[str]] = {"response": set(), "request": set()}
    for name, service in services.items():
        network = name.split("-")[0]
        for volume in service.get("volumes", []):
            source, target = str(volume).split(":")[:2]
            if network in mounts:
                mounts[network].add(source)
            if source == "transfer":
                assert target == "/var/lib/airlock/transfer", name
    assert mounts["response"] & mounts["request"] == {"transfer"}
    for name in ("response-api", "response-worker", "request-api", "request-worker"):
        assert "transfer:/var/lib/airlock/transfer" in services[name]["volumes"]


def test_a_networks_api_worker_and_beat_write_metrics_into_one_shared_directory(
    services: dict[str, dict[str, Any]],
) -> None:
    """So the API's /metrics adds up the workers' batches and job runs (multiprocess mode)."""
    for name, service in services.items():
        if service.get("command") not in (["api"], ["worker"], ["beat"]):
            continue
        directory = service["environment"].get("PROMETHEUS_MULTIPROC_DIR")
        assert directory == f"/var/lib/airlock/{name.split('-')[0]}/metrics", name
        shared = [
            volume
            for volume in service["volumes"]
            if directory.startswith(str(volume).split(":")[1] + "/")
        ]
        assert shared == [f"{name.split('-')[0]}-var:/var/lib/airlock/{name.split('-')[0]}"]


def test_no_secret_is_written_in_the_compose_file(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        values = dict(service.get("environment", {}))
        values.update({f"command[{i}]": arg for i, arg in enumerate(service.get("command", []))})
        for key, value in values.items():
            text = str(value)
            if SECRET_NAME.search(key):
                assert REFERENCE.fullmatch(text), f"{name} {key} is inline"
            # Credentials inside URLs come from the env file too.
            for credentials in re.findall(r"://([^@/]*)@", text):
                password = credentials.partition(":")[2]
                assert REFERENCE.fullmatch(password), f"{name} {key} has an inline password"
    requirepass = [
        args[args.index("--requirepass") + 1]
        for args in (s.get("command", []) for s in services.values())
        if "--requirepass" in args
    ]
    assert len(requirepass) == 2
    assert all(REFERENCE.fullmatch(arg) for arg in requirepass)


def token_like(text: str) -> list[str]:
    """Long runs of mixed-case letters and digits: what generated secrets look like.

    One of `make env`'s values in a few hundred has no digit: then it is its short pieces
    (split at case changes, digits and symbols) that tell it from a CamelCase or SNAKE name.
    """

    def random_looking(run: str) -> bool:
        if not (re.search(r"[a-z]", run) and re.search(r"[A-Z]", run)):
            return False
        pieces = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+", run)
        return bool(re.search(r"[0-9]", run)) or sum(map(len, pieces)) < 5 * len(pieces)

    return [
        run
        for run in re.findall(r"[A-Za-z0-9+/=_-]{20,}", REFERENCE.sub("", text))
        if random_looking(run)
    ]


def test_the_secret_heuristic_tells_random_strings_from_names() -> None:
    assert token_like("RWgVcuPFLmniklvUaZhDRCBgKrlDOIrn: x")  # no digit, still random
    assert token_like("Abcdefghij1234567890xyz")
    assert not token_like("ExceptionTelemetryMiddleware REQUEST_POSTGRES_PASSWORD")


def test_no_string_in_the_file_looks_like_a_key_or_token(tmp_path: Path) -> None:
    text = COMPOSE_FILE.read_text()
    assert token_like(text) == []
    # What `make env` generates would be caught if pasted in.
    env_file = tmp_path / ".env.dev"
    subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "make_env.py"), str(env_file)], check=True
    )
    for line in env_file.read_text().splitlines()[2:]:
        name, value = line.split("=", 1)
        assert token_like(f"{text}\n      {name}: {value.strip(chr(39))}\n"), name


def test_every_variable_the_file_needs_is_written_by_make_env(tmp_path: Path) -> None:
    env_file = tmp_path / ".env.dev"
    subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "make_env.py"), str(env_file)], check=True
    )
    generated = {line.split("=", 1)[0] for line in env_file.read_text().splitlines() if "=" in line}
    referenced = set(REFERENCE.findall(COMPOSE_FILE.read_text()))
    assert referenced
    assert referenced <= generated, referenced - generated
    # Every reference fails loudly when the env file is missing (`${X:?run make env}`).
    for match in re.finditer(r"\$\{[^}]*\}", COMPOSE_FILE.read_text()):
        assert ":?run make env" in match.group(), match.group()


def test_beat_gets_no_keys_and_only_the_api_gets_the_admin_password(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        environment = service.get("environment", {})
        if name.endswith("-beat"):
            assert "AIRLOCK_SIGNING_KEY" not in environment
        if "AIRLOCK_ADMIN_PASSWORD" in environment:
            assert name.startswith("response-api")
        if "AIRLOCK_SIGNING_KEY" in environment:
            network = name.split("-")[0]
            peer = "request" if network == "response" else "response"
            assert network.upper() in environment["AIRLOCK_SIGNING_KEY"]
            assert peer.upper() in environment["AIRLOCK_PEER_PUBLIC_KEY"]
