"""One forward pass over a batch file's tar members, refusing anything unsafe.

Everything here runs before the signature is checked, so it trusts nothing: every read is
bounded before it happens (the archive as a whole, and the headers of each member, GNU long
names and pax headers included), and links, devices, absolute paths, `..` and names outside
the bag's one top directory are refused. Errors from tarfile, gzip or the file system
surface as `BatchRejected`, never as their own exceptions.
"""

from __future__ import annotations

import gzip
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, BinaryIO, Self, cast

from shared.transfer.bag import DATA_DIR, BatchLimits, BatchName, parse_batch_name
from shared.transfer.encryption import AGE_MAGIC, decrypt_stream
from shared.transfer.errors import BatchRejected

READ_CHUNK = 256 * 1024
"""Payload read size: small enough to stay in the CPU cache while split, hashed and parsed."""
EXTENSION_HEADER_MAX_BYTES = 4096
"""The most a GNU long name or long link, or a pax header, may declare."""
MEMBER_HEADERS_MAX_BYTES = 16 * 1024
"""The most tarfile may read to parse one member's headers, extensions included (room for a
pax header, a long name and a long link of the size above, each with its header block)."""
GZIP_MAGIC = b"\x1f\x8b"
_REGULAR = (tarfile.REGTYPE, tarfile.AREGTYPE)
_KINDS = {
    tarfile.SYMTYPE: "a symbolic link",
    tarfile.LNKTYPE: "a hard link",
    tarfile.CHRTYPE: "a character device",
    tarfile.BLKTYPE: "a block device",
    tarfile.FIFOTYPE: "a fifo",
    tarfile.DIRTYPE: "a directory",
}
_EXTENSIONS = {
    tarfile.GNUTYPE_LONGNAME: "a GNU long-name header",
    tarfile.GNUTYPE_LONGLINK: "a GNU long-link header",
    tarfile.XHDTYPE: "a pax extended header",
    tarfile.XGLTYPE: "a pax global header",
    tarfile.SOLARIS_XHDTYPE: "a Solaris extended header",
}


class BatchArchive:
    """The tar stream of one batch, read strictly forward."""

    def __init__(self, tar: tarfile.TarFile, source: _BoundedReader, name: BatchName) -> None:
        self.name = name
        self._tar = tar
        self._source = source
        self._seen: set[str] = set()

    def members(self) -> Iterator[tuple[str, tarfile.TarInfo]]:
        """Regular files as (path inside the bag, member); optional directory entries skipped."""
        while True:
            with translated_errors(), self._source.parsing_headers_at(self._tar.offset):
                info = self._tar.next()
            if info is None:
                return
            relative = self._checked(info)
            if info.type == tarfile.DIRTYPE and relative in ("", DATA_DIR):
                continue
            yield relative, info

    def read_small(self, info: tarfile.TarInfo, limit: int) -> bytes:
        if info.size > limit:
            raise BatchRejected("batch.limit", f"{info.name} is over {limit} bytes")
        with translated_errors():
            handle = self._tar.extractfile(info)
            assert handle is not None  # a regular file always has content
            return handle.read()

    def open_member(self, info: tarfile.TarInfo) -> IO[bytes]:
        """The member's bytes; read them before asking for the next member."""
        with translated_errors():
            handle = self._tar.extractfile(info)
        assert handle is not None  # a regular file always has content
        return handle

    def expect_end(self) -> None:
        """Refuse anything after the member just read: another member, or any byte that is
        not end-of-archive padding (tarfile alone would stop quietly at a damaged header)."""
        with translated_errors():
            self._source.seek(self._tar.offset)  # forward, past the member's padding
            block = self._source.read(tarfile.BLOCKSIZE)
            if block.count(0) != len(block):
                try:
                    info = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
                except tarfile.HeaderError:
                    raise BatchRejected("batch.format", "bytes follow the payload") from None
                raise BatchRejected("batch.member", f"{info.name!r} follows the payload")
            while chunk := self._source.read(READ_CHUNK):
                if chunk.count(0) != len(chunk):
                    raise BatchRejected("batch.format", "bytes follow the end of the archive")

    def _checked(self, info: tarfile.TarInfo) -> str:
        name = info.name
        parts = name.split("/")
        if name.startswith("/") or "\\" in name or "\0" in name:
            raise BatchRejected("batch.member", f"member {name!r} has an absolute or odd path")
        if any(part in ("", ".", "..") for part in parts):
            raise BatchRejected("batch.member", f"member {name!r} escapes or bends the bag path")
        if parts[0] != self.name.bag_directory:
            raise BatchRejected("batch.member", f"member {name!r} is outside the bag directory")
        relative = "/".join(parts[1:])
        if info.type not in _REGULAR and not (
            info.type == tarfile.DIRTYPE and relative in ("", DATA_DIR)
        ):
            kind = _KINDS.get(info.type, f"of type {info.type!r}")
            raise BatchRejected("batch.member", f"member {name!r} is {kind}")
        if relative in self._seen:
            raise BatchRejected("batch.member", f"member {name!r} appears twice")
        self._seen.add(relative)
        return relative


@contextmanager
def open_archive(
    path: Path, *, limits: BatchLimits, age_identity: str | None
) -> Iterator[BatchArchive]:
    """Open a batch file (decrypting and decompressing as its name says) for one pass."""
    name = parse_batch_name(path.name)
    if name is None:
        raise BatchRejected("batch.format", f"{path.name!r} is not a batch file name", "name")
    size = path.stat().st_size
    if size == 0:
        raise BatchRejected("batch.truncated", "the file is empty")
    # age adds a header and 16 bytes per 64 KiB chunk; allow for that, nothing more.
    if size > limits.max_archive_bytes + limits.max_archive_bytes // 1024 + 4096:
        raise BatchRejected("batch.limit", f"the file is {size} bytes, over the batch limit")
    with ExitStack() as stack:
        source: BinaryIO = stack.enter_context(path.open("rb"))
        if name.encrypted:
            source = stack.enter_context(_decrypted(source, path.parent, age_identity))
        elif source.read(len(AGE_MAGIC)) == AGE_MAGIC:
            raise BatchRejected("batch.format", "the file is age-encrypted but not named .age")
        source.seek(0)
        compressed = source.read(2) == GZIP_MAGIC
        source.seek(0)
        if compressed != name.compressed:
            raise BatchRejected("batch.format", "gzip compression does not match the file name")
        if compressed:
            source = cast(BinaryIO, stack.enter_context(gzip.GzipFile(fileobj=source, mode="rb")))
        bounded = _BoundedReader(source, limits.max_archive_bytes)
        with translated_errors(), bounded.parsing_headers_at(0):  # opening reads the first
            # Not the "r|" stream mode: tarfile's stream buffer copies every byte three
            # times. The source is read strictly forward all the same.
            tar = stack.enter_context(
                tarfile.open(fileobj=bounded, mode="r:", tarinfo=_CheckedTarInfo)  # type: ignore[call-overload]
            )
        yield BatchArchive(tar, bounded, name)


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn what a damaged file makes tarfile, gzip or zlib raise into `BatchRejected`."""
    try:
        yield
    except BatchRejected:
        raise
    except EOFError:
        raise BatchRejected("batch.truncated", "the compressed stream ends early") from None
    except tarfile.ReadError as error:
        if "unexpected end" in str(error) or "truncated" in str(error):
            raise BatchRejected("batch.truncated", "the tar archive ends early") from None
        raise BatchRejected("batch.format", f"not a readable tar archive: {error}") from None
    except (tarfile.TarError, zlib.error, OSError) as error:
        raise BatchRejected("batch.format", f"not a readable archive: {error}") from None


@contextmanager
def _decrypted(source: BinaryIO, directory: Path, identity: str | None) -> Iterator[BinaryIO]:
    """The plaintext in an unnamed temporary file (the file system frees it on any exit)."""
    try:
        scratch = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 (closed just below)
    except OSError:  # a read-only drop folder: use the system's temporary directory
        scratch = tempfile.TemporaryFile()  # noqa: SIM115
    with scratch:
        decrypt_stream(source, scratch, identity)
        scratch.seek(0)
        yield scratch


class _CheckedTarInfo(tarfile.TarInfo):
    """Refuses an oversized extension header from its header block, before tarfile reads it
    (tarfile would read all it declares in one call: a 4 GiB long name is a 4 GiB read)."""

    @classmethod
    def fromtarfile(cls, tar: tarfile.TarFile) -> Self:
        assert tar.fileobj is not None
        block = tar.fileobj.read(tarfile.BLOCKSIZE)
        info = cls.frombuf(block, tar.encoding, tar.errors)
        info.offset = tar.fileobj.tell() - tarfile.BLOCKSIZE
        kind = _EXTENSIONS.get(info.type)
        if kind is not None and info.size > EXTENSION_HEADER_MAX_BYTES:
            raise BatchRejected(
                "batch.limit",
                f"{kind} declares {info.size} bytes, over {EXTENSION_HEADER_MAX_BYTES}",
            )
        return info._proc_member(tar)  # type: ignore[attr-defined, no-any-return]


class _BoundedReader:
    """Bounds every read before it happens: never past the archive limit (a decompression
    bomb), nor, while tarfile parses a member's headers, past a few KiB from where they start
    (chained long names or pax headers). gzip and the file are never asked for more."""

    def __init__(self, source: BinaryIO, limit: int) -> None:
        self._source = source
        self._limit = limit
        self._headers_end: int | None = None

    @contextmanager
    def parsing_headers_at(self, offset: int) -> Iterator[None]:
        self._headers_end = offset + MEMBER_HEADERS_MAX_BYTES
        try:
            yield
        finally:
            self._headers_end = None

    def read(self, size: int = -1) -> bytes:
        position = self._source.tell()
        end = self._limit if self._headers_end is None else min(self._limit, self._headers_end)
        allowed = max(0, end - position) + 1  # one byte more tells "over" from "at the end"
        chunk = self._source.read(allowed if size < 0 else min(size, allowed))
        self._check(position + len(chunk))
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0:
            self._check(offset)
        return self._source.seek(offset, whence)

    def tell(self) -> int:
        return self._source.tell()

    def _check(self, position: int) -> None:
        if position > self._limit:
            raise BatchRejected("batch.limit", "the archive is larger than the batch limit")
        if self._headers_end is not None and position > self._headers_end:
            raise BatchRejected(
                "batch.limit",
                f"the headers of one tar member take over {MEMBER_HEADERS_MAX_BYTES} bytes",
            )
