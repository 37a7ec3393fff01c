"""The batch file format: signed, checksummed BagIt bags in a tar, optionally age-encrypted.

`write_batches` produces batch files, `open_batch` / `verify_batch` check and read them,
`inspect_batch` / `unpack_batch` serve operators. The format is specified in
`docs/transfer-format.md`.
"""

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
