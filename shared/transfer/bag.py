"""What a batch's bag holds: names, limits, and the exact text of every tag file.

Writer, reader and the offline tools share these definitions so the format lives in one
place; `docs/transfer-format.md` is the same thing in prose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.transfer.errors import BatchRejected

BAGIT_TXT = "bagit.txt"
BAG_INFO_TXT = "bag-info.txt"
MANIFEST_TXT = "manifest-sha256.txt"
TAG_MANIFEST_TXT = "tagmanifest-sha256.txt"
SIGNATURE_TXT = "signature-ed25519.txt"
PAYLOAD = "data/records.jsonl"
DATA_DIR = "data"

TAG_FILES = (BAGIT_TXT, BAG_INFO_TXT, MANIFEST_TXT, TAG_MANIFEST_TXT, SIGNATURE_TXT)
"""Tag files in the order the writer puts them into the tar (all before the payload)."""
MANIFESTED_TAG_FILES = (BAGIT_TXT, BAG_INFO_TXT, MANIFEST_TXT)
"""Tag files listed in the tag manifest; the signature covers the tag manifest itself."""

BAGIT_TXT_CONTENT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
TAG_FILE_MAX_BYTES = 64 * 1024
MAX_SEQUENCE = 10**12 - 1
MISSING_PER_LINE = 64

STREAM_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
NETWORK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
BATCH_NAME = re.compile(
    r"(?P<stream>[a-z][a-z0-9_]{0,31})-(?P<sequence>\d{12})-(?P<batch_id>[0-9a-f]{32})"
    r"\.tar(?P<gz>\.gz)?(?P<age>\.age)?"
)
_MANIFEST_LINE = re.compile(r"([0-9a-f]{64})[ \t]+(\S.*)")
_INFO_LINE = re.compile(r"([A-Za-z][A-Za-z0-9-]*): (.*)")


@dataclass(frozen=True)
class BatchLimits:
    """What one batch may hold; the writer splits to stay inside, the reader refuses beyond.

    `max_batch_bytes` bounds the payload (`data/records.jsonl`); the tag files add at most
    `TAG_FILE_MAX_BYTES` each. `max_record_bytes` bounds one encoded record, newline excluded.
    """

    max_batch_bytes: int = 64 * 1024 * 1024
    max_records: int = 50_000
    max_record_bytes: int = 1024 * 1024

    def __post_init__(self) -> None:
        if min(self.max_batch_bytes, self.max_records, self.max_record_bytes) < 1:
            raise ValueError("batch limits must be positive")
        if self.max_record_bytes + 1 > self.max_batch_bytes:
            raise ValueError("max_record_bytes must leave room for one record in a batch")

    @property
    def max_archive_bytes(self) -> int:
        """The most tar bytes a reader accepts: payload, tag files and tar headers."""
        return self.max_batch_bytes + len(TAG_FILES) * TAG_FILE_MAX_BYTES + 64 * 1024


@dataclass(frozen=True)
class AckState:
    """What we hold of one of the peer's streams: all through `acked_through`, minus `missing`."""

    acked_through: int
    missing: list[int] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class BatchHeader:
    """The signed facts about a batch, from its `bag-info.txt` and `manifest-sha256.txt`."""

    source_network: str
    stream: str
    sequence: int
    batch_id: str
    """32 lowercase hex digits: a UUID4 without dashes (`uuid.UUID(batch_id)` parses it)."""
    record_count: int
    schema_version: str
    created_at: datetime
    payload_bytes: int
    payload_sha256: str
    acks: dict[str, AckState] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchName:
    """What a batch's file name says; the reader checks it against the signed header."""

    stream: str
    sequence: int
    batch_id: str
    compressed: bool
    encrypted: bool

    @property
    def bag_directory(self) -> str:
        return bag_directory_name(self.stream, self.sequence, self.batch_id)


def bag_directory_name(stream: str, sequence: int, batch_id: str) -> str:
    return f"{stream}-{sequence:012d}-{batch_id}"


def batch_file_name(
    stream: str, sequence: int, batch_id: str, *, compressed: bool = False, encrypted: bool = False
) -> str:
    suffix = ".tar" + (".gz" if compressed else "") + (".age" if encrypted else "")
    return bag_directory_name(stream, sequence, batch_id) + suffix


def parse_batch_name(name: str) -> BatchName | None:
    match = BATCH_NAME.fullmatch(name)
    if match is None:
        return None
    return BatchName(
        stream=match["stream"],
        sequence=int(match["sequence"]),
        batch_id=match["batch_id"],
        compressed=match["gz"] is not None,
        encrypted=match["age"] is not None,
    )


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def render_manifest(entries: Iterable[tuple[str, str]]) -> bytes:
    """`<sha256 hex>  <path>` lines, as `sha256sum` and bagit write them."""
    return "".join(f"{digest}  {path}\n" for path, digest in entries).encode()


def parse_manifest(content: bytes, *, what: str, code: str) -> dict[str, str]:
    """Path -> sha256 of a manifest; malformed or repeated lines raise `code`."""
    entries: dict[str, str] = {}
    for line in _tag_text(content, what).splitlines():
        match = _MANIFEST_LINE.fullmatch(line)
        if match is None or match[2] in entries:
            raise BatchRejected(code, f"{what} has a malformed or repeated line")
        entries[match[2]] = match[1]
    return entries


def render_bag_info(header: BatchHeader) -> bytes:
    lines = [
        f"Source-Network: {header.source_network}",
        f"Stream: {header.stream}",
        f"Sequence: {header.sequence}",
        f"Batch-Id: {header.batch_id}",
        f"Record-Count: {header.record_count}",
        f"Schema-Version: {header.schema_version}",
        f"Created-At: {format_timestamp(header.created_at)}",
        f"Payload-Oxum: {header.payload_bytes}.1",
    ]
    for stream in sorted(header.acks):
        state = header.acks[stream]
        lines.append(f"Acked-Through: {stream} {state.acked_through}")
        missing = sorted(set(state.missing))
        for start in range(0, len(missing), MISSING_PER_LINE):
            numbers = ",".join(str(n) for n in missing[start : start + MISSING_PER_LINE])
            lines.append(f"Missing: {stream} {numbers}")
    return ("\n".join(lines) + "\n").encode()


def check_header_fields(header: BatchHeader) -> None:
    """Refuse (ValueError) what the writer could not express in the format."""
    if not STREAM_NAME.fullmatch(header.stream):
        raise ValueError(f"stream name {header.stream!r} must match {STREAM_NAME.pattern}")
    if not NETWORK_NAME.fullmatch(header.source_network):
        raise ValueError(f"network name {header.source_network!r} is not allowed")
    if not 0 <= header.sequence <= MAX_SEQUENCE:
        raise ValueError(f"sequence {header.sequence} is out of range")
    if not NETWORK_NAME.fullmatch(header.schema_version):
        raise ValueError(f"schema version {header.schema_version!r} is not allowed")
    for stream, state in header.acks.items():
        if not STREAM_NAME.fullmatch(stream):
            raise ValueError(f"acknowledged stream name {stream!r} is not allowed")
        if state.acked_through < 0 or any(n < 0 for n in state.missing):
            raise ValueError("acknowledged sequences must not be negative")


_SINGLE_FIELDS = (
    "Source-Network",
    "Stream",
    "Sequence",
    "Batch-Id",
    "Record-Count",
    "Schema-Version",
    "Created-At",
    "Payload-Oxum",
)


def parse_bag_info(content: bytes, *, payload_sha256: str) -> BatchHeader:
    """Read a signed `bag-info.txt`; any deviation from the format is `batch.format`."""
    single: dict[str, str] = {}
    acked: dict[str, int] = {}
    missing: dict[str, list[int]] = {}
    for line in _tag_text(content, BAG_INFO_TXT).splitlines():
        match = _INFO_LINE.fullmatch(line)
        if match is None:
            raise _format("bag-info.txt has a malformed line")
        label, value = match[1], match[2]
        if label in _SINGLE_FIELDS:
            if label in single:
                raise _format(f"bag-info.txt repeats {label}")
            single[label] = value
        elif label == "Acked-Through":
            stream, number = _stream_and_value(value, label)
            if stream in acked:
                raise _format(f"bag-info.txt repeats Acked-Through for {stream}")
            acked[stream] = _number(number, label)
        elif label == "Missing":
            stream, numbers = _stream_and_value(value, label)
            missing.setdefault(stream, []).extend(_number(n, label) for n in numbers.split(","))
        else:
            raise _format(f"bag-info.txt has an unknown field {label}")
    absent = [label for label in _SINGLE_FIELDS if label not in single]
    if absent:
        raise _format(f"bag-info.txt lacks {', '.join(absent)}")
    if set(missing) - set(acked):
        raise _format("bag-info.txt has Missing without Acked-Through for the same stream")
    octets, _, streams = single["Payload-Oxum"].partition(".")
    if _number(streams, "Payload-Oxum") != 1:
        raise BatchRejected("batch.oxum", "Payload-Oxum must count exactly one payload file")
    header = BatchHeader(
        source_network=single["Source-Network"],
        stream=single["Stream"],
        sequence=_number(single["Sequence"], "Sequence"),
        batch_id=single["Batch-Id"],
        record_count=_number(single["Record-Count"], "Record-Count"),
        schema_version=single["Schema-Version"],
        created_at=_timestamp(single["Created-At"]),
        payload_bytes=_number(octets, "Payload-Oxum"),
        payload_sha256=payload_sha256,
        acks={s: AckState(acked_through=n, missing=missing.get(s, [])) for s, n in acked.items()},
    )
    try:
        check_header_fields(header)
    except ValueError as error:
        raise _format(f"bag-info.txt: {error}") from None
    if not re.fullmatch(r"[0-9a-f]{32}", header.batch_id):
        raise _format("Batch-Id must be 32 lowercase hex digits")
    return header


def _tag_text(content: bytes, what: str) -> str:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise BatchRejected("batch.encoding", f"{what} is not UTF-8") from None
    if text and not text.endswith("\n"):
        raise _format(f"{what} must end with a newline")
    if "\r" in text:
        raise _format(f"{what} must use LF line endings")
    return text


def _stream_and_value(value: str, label: str) -> tuple[str, str]:
    stream, _, rest = value.partition(" ")
    if not STREAM_NAME.fullmatch(stream) or not rest:
        raise _format(f"bag-info.txt has a malformed {label} line")
    return stream, rest


def _number(text: str, label: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise _format(f"bag-info.txt has a malformed {label}")
    return int(text)


def _timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _format("Created-At is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise _format("Created-At must carry a time zone")
    return moment.astimezone(UTC)


def _format(detail: str) -> BatchRejected:
    return BatchRejected("batch.format", detail)


def header_matches_name(header: BatchHeader, name: BatchName) -> bool:
    return (header.stream, header.sequence, header.batch_id) == (
        name.stream,
        name.sequence,
        name.batch_id,
    )
