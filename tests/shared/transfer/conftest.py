"""Keys, a record schema and a writer bound to a temporary directory for the batch tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.transfer import BatchInfo, generate_signing_key, write_batches
from tests.shared.transfer.samples import SOURCE, STREAM, questions

WriteBatches = Callable[..., list[BatchInfo]]


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return generate_signing_key()


@pytest.fixture(scope="session")
def verify_key(signing_key: Ed25519PrivateKey) -> Ed25519PublicKey:
    return signing_key.public_key()


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "outbox"


@pytest.fixture
def write(outbox: Path, signing_key: Ed25519PrivateKey) -> WriteBatches:
    """write(records, **overrides) with the tests' stream, source, key and directory."""

    def write(records: Iterable[Any], **overrides: Any) -> list[BatchInfo]:
        arguments: dict[str, Any] = {
            "stream": STREAM,
            "source_network": SOURCE,
            "directory": outbox,
            "signing_key": signing_key,
            "first_sequence": 1,
        }
        arguments.update(overrides)
        return write_batches(records, **arguments)

    return write


@pytest.fixture
def good_batch(write: WriteBatches) -> Path:
    """Five valid records in one plain batch."""
    [info] = write(questions(5))
    return info.path
