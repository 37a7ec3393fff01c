"""Write records as signed batch files, split at the batch limits.

Records stream into an unnamed temporary payload file while they are hashed and counted;
the tar (tag files first, payload last) is then written under `.<name>.tmp` in the target
directory, fsynced, and renamed into place only once every batch of the call is complete,
so a reader never sees half a batch and a failed export leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import IO, Any, BinaryIO

import orjson
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel

from shared.transfer.bag import (
    BAG_INFO_TXT,
    BAGIT_TXT,
    BAGIT_TXT_CONTENT,
    DATA_DIR,
    MANIFEST_TXT,
    MANIFESTED_TAG_FILES,
    PAYLOAD,
    SIGNATURE_TXT,
    TAG_FILE_MAX_BYTES,
    TAG_FILES,
    TAG_MANIFEST_TXT,
    AckState,
    BatchHeader,
    BatchLimits,
    bag_directory_name,
    batch_file_name,
    check_header_fields,
    render_bag_info,
    render_manifest,
)
from shared.transfer.encryption import check_age_recipient, encrypt_stream
from shared.transfer.signing import sign

log = structlog.get_logger(__name__)

COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class BatchInfo(BatchHeader):
    """A batch the writer produced: its header plus where the file is and what it hashes to."""

    path: Path
    file_sha256: str
    """sha256 of the file as written (encrypted bytes for `.tar.age`): what a resend must match."""
    file_bytes: int


@dataclass
class _Sealed:
    temporary: Path
    info: BatchInfo


@dataclass(frozen=True)
class _Sealer:
    """What every batch of one `write_batches` call shares, and how one is finished."""

    template: BatchHeader
    directory: Path
    signing_key: Ed25519PrivateKey
    age_recipient: str | None
    compress: bool
    file_mode: int
    clock: Callable[[], datetime]

    def seal(self, payload: _Payload, index: int) -> _Sealed:
        """Turn a finished payload into a complete batch file under its temporary name."""
        header = replace(
            self.template,
            sequence=self.template.sequence + index,
            batch_id=self.template.batch_id if index == 0 else uuid.uuid4().hex,
            record_count=payload.count,
            created_at=self.clock(),
            payload_bytes=payload.size,
            payload_sha256=payload.digest.hexdigest(),
        )
        check_header_fields(header)
        tags = _tag_files(header, self.signing_key)
        name = batch_file_name(
            header.stream,
            header.sequence,
            header.batch_id,
            compressed=self.compress,
            encrypted=self.age_recipient is not None,
        )
        temporary = self.directory / f".{name}.tmp"
        top = bag_directory_name(header.stream, header.sequence, header.batch_id)
        mtime = int(header.created_at.timestamp())
        try:
            # Created no wider than `file_mode` (never readable by others for a moment), then
            # set to exactly `file_mode` whatever the umask took away.
            with open(temporary, "xb", opener=partial(os.open, mode=self.file_mode)) as handle:
                os.fchmod(handle.fileno(), self.file_mode)
                output = _HashingWriter(handle)
                if self.age_recipient is None:
                    _write_tar(output, top, tags, payload, mtime, self.compress)
                else:
                    with tempfile.TemporaryFile(dir=self.directory) as plain:
                        _write_tar(plain, top, tags, payload, mtime, self.compress)
                        plain.seek(0)
                        encrypt_stream(plain, output, self.age_recipient)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        info = BatchInfo(
            **{item.name: getattr(header, item.name) for item in fields(header)},
            path=self.directory / name,
            file_sha256=output.digest.hexdigest(),
            file_bytes=output.size,
        )
        return _Sealed(temporary=temporary, info=info)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def write_batches(
    records: Iterable[Mapping[str, Any] | BaseModel],
    *,
    stream: str,
    source_network: str,
    directory: Path,
    signing_key: Ed25519PrivateKey,
    first_sequence: int,
    limits: BatchLimits | None = None,
    acks: Mapping[str, AckState] | None = None,
    age_recipient: str | None = None,
    schema_version: str = "1",
    compress: bool = False,
    file_mode: int = 0o640,
    clock: Callable[[], datetime] = _utc_now,
) -> list[BatchInfo]:
    """Write `records` as one or more batches numbered from `first_sequence`, each file
    with permissions `file_mode`, each stamped `Created-At` by `clock` (the writer's own:
    the reader never compares it with its clock to accept a batch).

    An empty iterable still gives one (heartbeat) batch carrying `acks`. Raises ValueError
    for a record over `max_record_bytes` or a name the format cannot carry; on any error
    no batch of this call is left under its final name.
    """
    limits = limits or BatchLimits()
    template = BatchHeader(
        source_network=source_network,
        stream=stream,
        sequence=first_sequence,
        batch_id=uuid.uuid4().hex,
        record_count=0,
        schema_version=schema_version,
        created_at=clock(),
        payload_bytes=0,
        payload_sha256=hashlib.sha256().hexdigest(),
        acks=dict(acks or {}),
    )
    check_header_fields(template)
    if age_recipient is not None:
        check_age_recipient(age_recipient)
    directory.mkdir(parents=True, exist_ok=True)
    sealer = _Sealer(template, directory, signing_key, age_recipient, compress, file_mode, clock)
    sealed: list[_Sealed] = []
    published: list[Path] = []
    payload = _Payload(directory)
    try:
        for record in records:
            line = _encode(record)
            if len(line) > limits.max_record_bytes:
                raise ValueError(
                    f"a {stream} record encodes to {len(line)} bytes, "
                    f"over max_record_bytes={limits.max_record_bytes}"
                )
            if (
                payload.count >= limits.max_records
                or payload.size + len(line) + 1 > limits.max_batch_bytes
            ):
                sealed.append(sealer.seal(payload, len(sealed)))
                payload.close()
                payload = _Payload(directory)
            payload.add(line)
        sealed.append(sealer.seal(payload, len(sealed)))
        for batch in sealed:
            os.replace(batch.temporary, batch.info.path)
            published.append(batch.info.path)
        _fsync_directory(directory)
    except BaseException:
        for path in [*(batch.temporary for batch in sealed), *published]:
            path.unlink(missing_ok=True)
        raise
    finally:
        payload.close()
    for batch in sealed:
        log.debug(
            "batch_written",
            stream=stream,
            sequence=batch.info.sequence,
            records=batch.info.record_count,
            bytes=batch.info.file_bytes,
        )
    return [batch.info for batch in sealed]


class _Payload:
    """One batch's `records.jsonl`, on disk, hashed and counted as it grows."""

    def __init__(self, directory: Path) -> None:
        self.file: IO[bytes] = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 (see close)
        self.digest = hashlib.sha256()
        self.size = 0
        self.count = 0

    def add(self, line: bytes) -> None:
        line += b"\n"
        self.file.write(line)
        self.digest.update(line)
        self.size += len(line)
        self.count += 1

    def close(self) -> None:
        self.file.close()


def _uuid_like(value: Any) -> str:
    # Drivers hand out their own UUID types (asyncpg's is not a uuid.UUID); their str() is
    # the canonical form. Anything else is the caller's bug and must not pass silently.
    if type(value).__name__ == "UUID":
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__} in a record")


def _encode(record: Mapping[str, Any] | BaseModel) -> bytes:
    if isinstance(record, BaseModel):
        return orjson.dumps(record.model_dump(mode="json"))
    return orjson.dumps(record, default=_uuid_like)


def _tag_files(header: BatchHeader, signing_key: Ed25519PrivateKey) -> dict[str, bytes]:
    bag_info = render_bag_info(header)
    if len(bag_info) > TAG_FILE_MAX_BYTES:
        raise ValueError("bag-info.txt would exceed 64 KiB: report fewer missing sequences")
    tags = {
        BAGIT_TXT: BAGIT_TXT_CONTENT,
        BAG_INFO_TXT: bag_info,
        MANIFEST_TXT: render_manifest([(PAYLOAD, header.payload_sha256)]),
    }
    tag_manifest = render_manifest(
        (name, hashlib.sha256(tags[name]).hexdigest()) for name in MANIFESTED_TAG_FILES
    )
    tags[TAG_MANIFEST_TXT] = tag_manifest
    tags[SIGNATURE_TXT] = sign(signing_key, tag_manifest)
    return tags


def _write_tar(
    target: BinaryIO | _HashingWriter,
    top: str,
    tags: dict[str, bytes],
    payload: _Payload,
    mtime: int,
    compress: bool,
) -> None:
    """POSIX ustar: the bag directory, the tag files, `data/`, then the payload last."""
    with tarfile.open(  # type: ignore[call-overload]
        fileobj=target,
        mode="w|gz" if compress else "w|",
        format=tarfile.USTAR_FORMAT,
        bufsize=COPY_CHUNK,
    ) as tar:
        tar.addfile(_member(top, tarfile.DIRTYPE, 0, mtime))
        for name in TAG_FILES:
            content = tags[name]
            tar.addfile(
                _member(f"{top}/{name}", tarfile.REGTYPE, len(content), mtime), io.BytesIO(content)
            )
        tar.addfile(_member(f"{top}/{DATA_DIR}", tarfile.DIRTYPE, 0, mtime))
        payload.file.flush()
        payload.file.seek(0)
        tar.addfile(_member(f"{top}/{PAYLOAD}", tarfile.REGTYPE, payload.size, mtime), payload.file)


def _member(name: str, kind: bytes, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    info.mtime = mtime
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    info.uname = info.gname = ""
    return info


class _HashingWriter:
    """Hashes and counts the bytes of the final file as they are written."""

    def __init__(self, target: BinaryIO) -> None:
        self._target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self._target.write(data)

    def flush(self) -> None:
        self._target.flush()


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
