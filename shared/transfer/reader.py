"""Read a batch in one streaming pass: signature, tag manifest, header, then the records.

The caller applies records while they stream (inside its database transaction). Every
end-of-payload check (checksum, Payload-Oxum, Record-Count, nothing after the payload)
runs before the generator finishes, so a caller that sees the loop end normally holds a
fully verified batch, and a caller that sees `BatchRejected` rolls back.
"""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from itertools import repeat
from pathlib import Path
from typing import IO, Any, TypeVar, overload

import msgspec
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ValidationError

from shared.transfer.archive import READ_CHUNK, BatchArchive, open_archive, translated_errors
from shared.transfer.bag import (
    BAG_INFO_TXT,
    BAGIT_TXT,
    BAGIT_TXT_CONTENT,
    MANIFEST_TXT,
    MANIFESTED_TAG_FILES,
    PAYLOAD,
    SIGNATURE_TXT,
    TAG_FILE_MAX_BYTES,
    TAG_FILES,
    TAG_MANIFEST_TXT,
    BatchHeader,
    BatchLimits,
    BatchName,
    header_matches_name,
    parse_bag_info,
    parse_manifest,
)
from shared.transfer.errors import BatchRejected
from shared.transfer.signing import verify
from shared.transfer.structs import RecordDecoder

Model = TypeVar("Model", bound=BaseModel)
_SCHEMA_ERRORS_SHOWN = 5
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_STRUCT_PATH = re.compile(r" - at `\$([^`]*)`$")


class BatchReader:
    """A batch whose signature, tag manifest and header are verified; records still to come."""

    def __init__(
        self,
        *,
        header: BatchHeader,
        archive: BatchArchive,
        payload: tarfile.TarInfo,
        limits: BatchLimits,
    ) -> None:
        self.header = header
        self.verified = False
        """True once `records()` has run to its end and every check passed."""
        self._archive = archive
        self._payload = payload
        self._limits = limits
        self._started = False

    @overload
    def records(self) -> Iterator[dict[str, Any]]: ...

    @overload
    def records(self, schema: type[Model]) -> Iterator[Model]: ...

    @overload
    def records(self, schema: RecordDecoder) -> Iterator[Any]: ...

    def records(self, schema: type[BaseModel] | RecordDecoder | None = None) -> Iterator[Any]:
        """Each record, validated against `schema` (or as a plain dict); once per batch.

        A `RecordDecoder` (what the importer passes) yields msgspec structs generated from
        its model; a pydantic model yields instances of it, validated by pydantic.
        Raises `BatchRejected` from inside the loop, before it ends, if anything is wrong.
        Leaving the loop early skips the end checks: `verified` then stays False.
        """
        if self._started:
            raise RuntimeError("the records of a batch can be read only once")
        self._started = True
        if schema is None:
            return self._stream(orjson.loads, None, objects_only=True)
        if isinstance(schema, RecordDecoder):
            return self._stream(schema.decode, schema.model, objects_only=False)
        return self._stream(schema.__pydantic_validator__.validate_json, schema, objects_only=False)

    def _stream(
        self,
        parse: Callable[[bytes], Any],
        model: type[BaseModel] | None,
        *,
        objects_only: bool,
    ) -> Iterator[Any]:
        # Chunks, not lines: hashing, splitting and the size check run in C over a whole
        # chunk, and records are parsed by a C-level map; this keeps the reader near the
        # speed of parsing alone.
        header, limit = self.header, self._limits.max_record_bytes
        digest = hashlib.sha256()
        size = count = 0
        carry = b""
        problem: BatchRejected | None = None
        with translated_errors():
            payload = self._archive.open_member(self._payload)
            while chunk := payload.read(READ_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                # readlines finds line ends with memchr, split(b"\n") byte by byte: 0.6x
                # the time. Each line keeps its LF, which JSON takes as trailing whitespace.
                lines = io.BytesIO(carry + chunk if carry else chunk).readlines()
                carry = b"" if lines[-1].endswith(b"\n") else lines.pop()
                lines, problem = self._screen(lines, count, objects_only=objects_only)
                try:
                    yield from map(parse, lines)
                except ValueError:
                    problem = _first_bad_record(lines, parse, count, model)
                count += len(lines)
                if problem is None and len(carry) > limit:
                    problem = BatchRejected(
                        "batch.limit", f"record {count + 1} is over {limit} bytes"
                    )
                if problem is not None:
                    break
            if problem is None and carry:
                problem = BatchRejected("batch.format", "the payload does not end with LF")
            if problem is not None:
                # Corruption explains a bad record better than the record does: finish hashing.
                size += _drain(payload, digest)
            if size != header.payload_bytes:
                raise BatchRejected(
                    "batch.oxum",
                    f"payload is {size} bytes, Payload-Oxum says {header.payload_bytes}",
                )
            if digest.hexdigest() != header.payload_sha256:
                raise BatchRejected(
                    "batch.checksum", "the payload's sha256 differs from manifest-sha256.txt"
                )
            if problem is not None:
                raise problem
            if count != header.record_count:
                raise BatchRejected(
                    "batch.count", f"{count} records, Record-Count says {header.record_count}"
                )
            self._archive.expect_end()
        self.verified = True

    def _screen(
        self, lines: list[bytes], count: int, *, objects_only: bool
    ) -> tuple[list[bytes], BatchRejected | None]:
        """Cut a chunk's lines before the first one that is too long, too many, or (without
        a schema) not an object; a line that parses whole and starts with `{` is an object."""
        limit, declared = self._limits.max_record_bytes + 1, self.header.record_count  # LF
        problem = None
        if objects_only and not all(map(bytes.startswith, lines, repeat(b"{"))):
            index = next(i for i, line in enumerate(lines) if not line.startswith(b"{"))
            problem = _content_problem(lines[index], count + index + 1, None, None)
            lines = lines[:index]
        # Only the first line can have started in an earlier chunk: the others are shorter
        # than a chunk, so when a chunk is within the limit they need no look.
        if lines and (
            len(lines[0]) > limit or (limit < READ_CHUNK and max(map(len, lines)) > limit)
        ):
            index = next(i for i, line in enumerate(lines) if len(line) > limit)
            lines = lines[:index]
            problem = BatchRejected(
                "batch.limit", f"record {count + index + 1} is over {limit - 1} bytes"
            )
        if count + len(lines) > declared:
            lines = lines[: declared - count]
            problem = BatchRejected("batch.count", f"more records than Record-Count {declared}")
        return lines, problem


@contextmanager
def open_batch(
    path: Path,
    *,
    verify_key: Ed25519PublicKey,
    expected_source: str,
    expected_stream: str | None = None,
    limits: BatchLimits | None = None,
    age_identity: str | None = None,
    schema_versions: Collection[str] | None = None,
) -> Iterator[BatchReader]:
    """Verify everything up to the payload and hand over a reader for the records.

    Raises `BatchRejected` on entry for a bad signature, tag manifest, header, name or
    member, or a `Schema-Version` not in `schema_versions` (when given), and from
    `records()` for anything wrong in the payload. A path that does not exist raises
    FileNotFoundError: that is the caller's problem, not the batch's.
    """
    limits = limits or BatchLimits()
    with open_archive(path, limits=limits, age_identity=age_identity) as archive:
        tags, payload = _read_tag_files(archive)
        header = _verified_header(
            tags,
            archive.name,
            verify_key=verify_key,
            expected_source=expected_source,
            expected_stream=expected_stream,
            schema_versions=schema_versions,
            limits=limits,
        )
        if payload.size != header.payload_bytes:
            raise BatchRejected(
                "batch.oxum", f"payload member is {payload.size} bytes, Payload-Oxum disagrees"
            )
        yield BatchReader(header=header, archive=archive, payload=payload, limits=limits)


def verify_batch(
    path: Path,
    *,
    verify_key: Ed25519PublicKey,
    expected_source: str,
    expected_stream: str | None = None,
    limits: BatchLimits | None = None,
    age_identity: str | None = None,
    schema_versions: Collection[str] | None = None,
    schema: type[BaseModel] | RecordDecoder | None = None,
) -> BatchHeader:
    """Run every check without applying anything; records are parsed (and validated
    against `schema` when given) and dropped."""
    with open_batch(
        path,
        verify_key=verify_key,
        expected_source=expected_source,
        expected_stream=expected_stream,
        limits=limits,
        age_identity=age_identity,
        schema_versions=schema_versions,
    ) as reader:
        records = reader.records() if schema is None else reader.records(schema)
        for _ in records:
            pass
        return reader.header


def _read_tag_files(archive: BatchArchive) -> tuple[dict[str, bytes], tarfile.TarInfo]:
    """The tag files (bounded), stopping at the payload header, which must come after them."""
    tags: dict[str, bytes] = {}
    for relative, info in archive.members():
        if relative == PAYLOAD:
            absent = [name for name in TAG_FILES if name not in tags]
            if absent:
                raise BatchRejected(
                    "batch.member", f"the payload comes before {', '.join(absent)}", "order"
                )
            return tags, info
        if relative not in TAG_FILES:
            raise BatchRejected("batch.member", f"unexpected member {relative!r}")
        tags[relative] = archive.read_small(info, TAG_FILE_MAX_BYTES)
    raise BatchRejected("batch.truncated", "the archive ends before the payload")


def _verified_header(
    tags: dict[str, bytes],
    name: BatchName,
    *,
    verify_key: Ed25519PublicKey,
    expected_source: str,
    expected_stream: str | None,
    schema_versions: Collection[str] | None,
    limits: BatchLimits,
) -> BatchHeader:
    """Signature first: nothing in a tag file is believed before it."""
    tag_manifest = tags[TAG_MANIFEST_TXT]
    verify(verify_key, tag_manifest, tags[SIGNATURE_TXT])
    listed = parse_manifest(tag_manifest, what=TAG_MANIFEST_TXT, code="batch.tag_manifest")
    if sorted(listed) != sorted(MANIFESTED_TAG_FILES):
        raise BatchRejected("batch.tag_manifest", "the tag manifest lists the wrong files")
    for tag_file, digest in listed.items():
        if hashlib.sha256(tags[tag_file]).hexdigest() != digest:
            raise BatchRejected("batch.tag_manifest", f"{tag_file} differs from the tag manifest")
    if tags[BAGIT_TXT] != BAGIT_TXT_CONTENT:
        raise BatchRejected("batch.format", "bagit.txt is not BagIt 1.0 in UTF-8")
    manifest = parse_manifest(tags[MANIFEST_TXT], what=MANIFEST_TXT, code="batch.format")
    if list(manifest) != [PAYLOAD]:
        raise BatchRejected("batch.format", f"the manifest must list only {PAYLOAD}")
    header = parse_bag_info(tags[BAG_INFO_TXT], payload_sha256=manifest[PAYLOAD])
    if header.source_network != expected_source:
        raise BatchRejected(
            "batch.source", f"signed as from {header.source_network!r}, not {expected_source!r}"
        )
    if expected_stream is not None and header.stream != expected_stream:
        raise BatchRejected("batch.stream", f"stream {header.stream!r}, not {expected_stream!r}")
    if not header_matches_name(header, name):
        raise BatchRejected("batch.format", "the file name disagrees with bag-info.txt", "name")
    if schema_versions is not None and header.schema_version not in schema_versions:
        raise BatchRejected(
            "batch.schema_version",
            f"Schema-Version {header.schema_version!r} is not one this reader knows "
            f"({', '.join(sorted(schema_versions))})",
        )
    if header.record_count > limits.max_records:
        raise BatchRejected("batch.limit", f"{header.record_count} records, over the limit")
    if header.payload_bytes > limits.max_batch_bytes:
        raise BatchRejected(
            "batch.limit", f"payload of {header.payload_bytes} bytes, over the limit"
        )
    return header


def _first_bad_record(
    lines: list[bytes], parse: Callable[[bytes], Any], count: int, model: type[BaseModel] | None
) -> BatchRejected:
    """Find which line of a chunk failed (only ever run on the error path)."""
    for index, line in enumerate(lines):
        try:
            parse(line)
        except ValueError as error:
            return _content_problem(line, count + index + 1, error, model)
    raise AssertionError("a line failed to parse once and then parsed")  # pragma: no cover


def _content_problem(
    line: bytes, number: int, error: ValueError | None, model: type[BaseModel] | None
) -> BatchRejected:
    """Name what is wrong with record `number` without quoting any of its content."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return BatchRejected("batch.encoding", f"record {number} is not valid UTF-8")
    if error is None:
        return BatchRejected("batch.schema", f"record {number} is not a JSON object")
    if isinstance(error, msgspec.DecodeError) and model is not None:
        # msgspec's messages quote values; the model's own errors name fields and types.
        try:
            model.__pydantic_validator__.validate_json(line)
        except ValidationError as explained:
            error = explained
        else:  # stricter than pydantic's lax mode: a type pydantic would have converted
            where = _STRUCT_PATH.search(str(error))
            location = _location(_struct_path(where.group(1))) if where else "(record)"
            return BatchRejected(
                "batch.schema", f"record {number} fails {model.__name__}: {location}: strict"
            )
    if isinstance(error, ValidationError):
        problems = error.errors(include_url=False, include_context=False, include_input=False)
        if problems and problems[0]["type"] != "json_invalid":
            shown = "; ".join(
                f"{_location(item['loc'])}: {item['type']}"
                for item in problems[:_SCHEMA_ERRORS_SHOWN]
            )
            return BatchRejected("batch.schema", f"record {number} fails {error.title}: {shown}")
    return BatchRejected("batch.schema", f"record {number} is not valid JSON")


def _struct_path(path: str) -> tuple[int | str, ...]:
    """msgspec's `$.limits[...].hard` as ("limits", "?", "hard"): a key it hides stays hidden."""
    parts = re.findall(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]", path)
    return tuple(name or (int(index) if index.isdigit() else "?") for name, index in parts)


def _location(parts: tuple[int | str, ...]) -> str:
    """A field path for the log; a key the sender made up is shown only if it looks like one."""
    shown = (str(p) if isinstance(p, int) or _FIELD_NAME.fullmatch(p) else "?" for p in parts)
    return ".".join(shown) or "(record)"


def _drain(payload: IO[bytes], digest: Any) -> int:
    size = 0
    while chunk := payload.read(READ_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size
