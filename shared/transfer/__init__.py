"""The batch file format: signed, checksummed BagIt bags in a tar, optionally age-encrypted.

`write_batches` produces batch files, `open_batch` / `verify_batch` check and read them,
`inspect_batch` / `unpack_batch` serve operators. The format is specified in
`docs/transfer-format.md`.

Names are imported from their module on first use, so a process that only checks batches
(`airlock transfer verify`) never loads the writer and its logging.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.transfer.bag import (
        AckState,
        BatchHeader,
        BatchLimits,
        BatchName,
        batch_file_name,
        parse_batch_name,
    )
    from shared.transfer.encryption import (
        age_recipient_of,
        generate_age_identity,
        load_age_identity,
        save_age_identity,
    )
    from shared.transfer.errors import BatchRejected
    from shared.transfer.offline import BatchSummary, inspect_batch, unpack_batch
    from shared.transfer.reader import BatchReader, open_batch, verify_batch
    from shared.transfer.signing import (
        generate_signing_key,
        key_fingerprint,
        load_private_key,
        load_public_key,
        parse_public_key,
        public_key_text,
        save_private_key,
        save_public_key,
    )
    from shared.transfer.writer import BatchInfo, write_batches

_MODULES = {
    "bag": (
        "AckState",
        "BatchHeader",
        "BatchLimits",
        "BatchName",
        "batch_file_name",
        "parse_batch_name",
    ),
    "encryption": (
        "age_recipient_of",
        "generate_age_identity",
        "load_age_identity",
        "save_age_identity",
    ),
    "errors": ("BatchRejected",),
    "offline": ("BatchSummary", "inspect_batch", "unpack_batch"),
    "reader": ("BatchReader", "open_batch", "verify_batch"),
    "signing": (
        "generate_signing_key",
        "key_fingerprint",
        "load_private_key",
        "load_public_key",
        "parse_public_key",
        "public_key_text",
        "save_private_key",
        "save_public_key",
    ),
    "writer": ("BatchInfo", "write_batches"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "AckState",
    "BatchHeader",
    "BatchInfo",
    "BatchLimits",
    "BatchName",
    "BatchReader",
    "BatchRejected",
    "BatchSummary",
    "age_recipient_of",
    "batch_file_name",
    "generate_age_identity",
    "generate_signing_key",
    "inspect_batch",
    "key_fingerprint",
    "load_age_identity",
    "load_private_key",
    "load_public_key",
    "open_batch",
    "parse_batch_name",
    "parse_public_key",
    "public_key_text",
    "save_age_identity",
    "save_private_key",
    "save_public_key",
    "unpack_batch",
    "verify_batch",
    "write_batches",
]


def __getattr__(name: str) -> object:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value
