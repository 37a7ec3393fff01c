"""Bad batches, each built from a good one the way a fault or an attacker would make it.

Every builder takes the good batch file and returns the path of a bad copy with the same
file name in another directory, so only the damage differs.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PAYLOAD = "data/records.jsonl"
MANIFESTED = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt")


@dataclass
class Member:
    """One tar member of a batch: header and content (None for links and directories)."""

    info: tarfile.TarInfo
    content: bytes | None

    @property
    def relative(self) -> str:
        return self.info.name.partition("/")[2]


@dataclass
class Bag:
    """A batch file taken apart, to be damaged and put back together."""

    name: str
    top: str
    members: list[Member]

    def member(self, relative: str) -> Member:
        return next(m for m in self.members if m.relative == relative)

    def text(self, relative: str) -> str:
        content = self.member(relative).content
        assert content is not None
        return content.decode()

    def replace(self, relative: str, content: bytes) -> None:
        member = self.member(relative)
        member.content = content
        member.info.size = len(content)

    def remove(self, relative: str) -> None:
        self.members = [m for m in self.members if m.relative != relative]

    def resign(self, key: Ed25519PrivateKey) -> None:
        """Recompute the tag manifest and signature as a signer holding `key` would."""
        manifest = "".join(
            f"{hashlib.sha256(self.member(name).content or b'').hexdigest()}  {name}\n"
            for name in MANIFESTED
        ).encode()
        self.replace("tagmanifest-sha256.txt", manifest)
        self.replace("signature-ed25519.txt", base64.b64encode(key.sign(manifest)) + b"\n")

    def set_payload(
        self, lines: list[bytes], key: Ed25519PrivateKey, *, newline: bool = True
    ) -> None:
        """Swap the payload and fix manifest, count and Payload-Oxum, then re-sign."""
        payload = b"\n".join(lines) + (b"\n" if newline and lines else b"")
        self.replace(PAYLOAD, payload)
        self.replace(
            "manifest-sha256.txt", f"{hashlib.sha256(payload).hexdigest()}  {PAYLOAD}\n".encode()
        )
        self.set_info("Record-Count", str(len(lines)))
        self.set_info("Payload-Oxum", f"{len(payload)}.1")
        self.resign(key)

    def set_info(self, label: str, value: str) -> None:
        lines = [
            f"{label}: {value}" if line.startswith(f"{label}: ") else line
            for line in self.text("bag-info.txt").splitlines()
        ]
        self.replace("bag-info.txt", ("\n".join(lines) + "\n").encode())

    def add(
        self,
        relative: str,
        kind: bytes = tarfile.REGTYPE,
        *,
        link: str = "",
        index: int | None = None,
        name: str | None = None,
    ) -> None:
        info = tarfile.TarInfo(name if name is not None else f"{self.top}/{relative}")
        info.type = kind
        info.linkname = link
        body: bytes | None = None
        if kind == tarfile.REGTYPE:
            body = b"x"
            info.size = len(body)
        member = Member(info, body)
        self.members.insert(len(self.members) if index is None else index, member)

    def write(self, directory: Path, tar_format: int = tarfile.GNU_FORMAT) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / self.name
        with tarfile.open(path, "w", format=tar_format) as tar:
            for member in self.members:
                fileobj = io.BytesIO(member.content) if member.content is not None else None
                tar.addfile(member.info, fileobj)
        return path


def take_apart(path: Path) -> Bag:
    members: list[Member] = []
    with tarfile.open(path, "r:") as tar:
        for info in tar.getmembers():
            handle = tar.extractfile(info) if info.isreg() else None
            members.append(Member(info, handle.read() if handle is not None else None))
    top = members[0].info.name.split("/")[0]
    return Bag(path.name, top, members)


Builder = Callable[[Path, Path, Ed25519PrivateKey], Path]
"""(good batch, directory for the bad one, the sender's real key) -> bad batch."""


def flipped_payload_byte(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    payload = bytearray(bag.member(PAYLOAD).content or b"")
    # A letter past the middle: flipping its low bit keeps it a letter, so every record
    # still parses and only the checksum can tell.
    position = next(i for i in range(len(payload) // 2, len(payload)) if 97 <= payload[i] <= 122)
    payload[position] ^= 0x01
    bag.replace(PAYLOAD, bytes(payload))
    return bag.write(out)


def cut_before_payload(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    bag.members = bag.members[:-2]
    return bag.write(out)


def missing_tag_file(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    bag.remove("manifest-sha256.txt")
    return bag.write(out)


def _record_count_off_by(good: Path, out: Path, key: Ed25519PrivateKey, delta: int) -> Path:
    bag = take_apart(good)
    count = int(bag.text("bag-info.txt").split("Record-Count: ")[1].split()[0])
    bag.set_info("Record-Count", str(count + delta))
    bag.resign(key)
    return bag.write(out)


def record_count_too_high(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _record_count_off_by(good, out, key, +1)


def record_count_too_low(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _record_count_off_by(good, out, key, -1)


def wrong_payload_oxum(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    size = len(bag.member(PAYLOAD).content or b"")
    bag.set_info("Payload-Oxum", f"{size + 1}.1")
    bag.resign(key)
    return bag.write(out)


def forged_signature(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    bag.set_info("Stream", "users")
    bag.resign(Ed25519PrivateKey.generate())
    return bag.write(out)


def garbled_signature(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    bag.replace("signature-ed25519.txt", b"not base64 at all!\n")
    return bag.write(out)


def unsigned_bag_info_change(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    bag.set_info("Schema-Version", "2")
    return bag.write(out)


def wrong_source_network(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    bag.set_info("Source-Network", "elsewhere")
    bag.resign(key)
    return bag.write(out)


def unknown_bag_info_field(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    bag.replace("bag-info.txt", (bag.text("bag-info.txt") + "Colour: blue\n").encode())
    bag.resign(key)
    return bag.write(out)


def wrong_bagit_declaration(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    bag.replace("bagit.txt", b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n")
    bag.resign(key)
    return bag.write(out)


def _payload_lines(good: Path) -> tuple[Bag, list[bytes]]:
    bag = take_apart(good)
    return bag, (bag.member(PAYLOAD).content or b"").splitlines()


def oversize_record(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag, lines = _payload_lines(good)
    lines[1] = lines[1][:-1] + b',"padding":"' + b"x" * (1024 * 1024) + b'"}'
    bag.set_payload(lines, key)
    return bag.write(out)


def invalid_utf8(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag, lines = _payload_lines(good)
    lines[1] = lines[1].replace(b'":"', b'":"\xff\xfe', 1)
    bag.set_payload(lines, key)
    return bag.write(out)


def invalid_json(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag, lines = _payload_lines(good)
    lines[2] = lines[2][:-1]
    bag.set_payload(lines, key)
    return bag.write(out)


def not_an_object(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag, lines = _payload_lines(good)
    lines[2] = b"[1, 2, 3]"
    bag.set_payload(lines, key)
    return bag.write(out)


def unknown_field(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag, lines = _payload_lines(good)
    lines[3] = lines[3][:-1] + b',"admin":true}'
    bag.set_payload(lines, key)
    return bag.write(out)


def wrong_schema(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag, lines = _payload_lines(good)
    lines[0] = b'{"name":"a catalogue entry","price":3}'
    bag.set_payload(lines, key)
    return bag.write(out)


def no_final_newline(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag, lines = _payload_lines(good)
    bag.set_payload(lines, key, newline=False)
    return bag.write(out)


def _with_member(good: Path, out: Path, relative: str, kind: bytes, link: str = "") -> Path:
    bag = take_apart(good)
    bag.add(relative, kind, link=link, index=2)
    return bag.write(out)


def symlink_member(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _with_member(good, out, "notes.txt", tarfile.SYMTYPE, link="/etc/passwd")


def hardlink_member(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _with_member(good, out, "notes.txt", tarfile.LNKTYPE, link="/etc/passwd")


def fifo_member(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _with_member(good, out, "notes.txt", tarfile.FIFOTYPE)


def device_member(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _with_member(good, out, "notes.txt", tarfile.CHRTYPE)


def dotdot_member(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    bag.add("", index=2, name=f"{bag.top}/../escaped.txt")
    return bag.write(out)


def absolute_member(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    bag.add("", index=2, name="/tmp/escaped.txt")
    return bag.write(out)


def member_outside_bag(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    bag.add("", index=2, name="another-bag/bagit.txt")
    return bag.write(out)


def unexpected_member(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _with_member(good, out, "notes.txt", tarfile.REGTYPE)


def duplicate_member(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _with_member(good, out, "bagit.txt", tarfile.REGTYPE)


def payload_not_last(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    payload = bag.member(PAYLOAD)
    bag.remove(PAYLOAD)
    bag.members.insert(2, payload)
    return bag.write(out)


def member_after_payload(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    bag.add("notes.txt")
    return bag.write(out)


def _file_with(good: Path, out: Path, content: bytes) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / good.name
    path.write_bytes(content)
    return path


def bytes_after_the_archive(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _file_with(good, out, good.read_bytes() + b"appended by someone" + bytes(493))


def garbage_after_payload(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    """A damaged header right after the payload, where tar would quietly stop."""
    data = bytearray(good.read_bytes())
    payload = data.index(b'{"')
    end = payload + data[payload:].index(b"\n\x00") + 1
    header = end + (-end % 512)
    data[header : header + 12] = b"not a header"
    return _file_with(good, out, bytes(data))


def zero_byte_file(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _file_with(good, out, b"")


def not_a_tar(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _file_with(good, out, b"this is a letter, not a tar archive\n" * 40)


def truncated_tar(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    data = good.read_bytes()
    return _file_with(good, out, data[: data.index(b'{"') + 40])


def renamed_to_other_sequence(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    stream, sequence, rest = good.name.split("-", 2)
    bag = take_apart(good)
    bag.name = f"{stream}-{int(sequence) + 1:012d}-{rest}"
    bag.top = bag.name.removesuffix(".tar")
    for member in bag.members:
        member.info.name = bag.top + member.info.name[len(good.name.removesuffix(".tar")) :]
    return bag.write(out)


def unknown_schema_version(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    bag.set_info("Schema-Version", "2")
    bag.resign(key)
    return bag.write(out)


# Hostile archives: small files that would make a naive reader allocate or loop without end.

GiB = 1024**3
MiB = 1024**2


@cache
def _gzipped_mib(filler: bytes) -> bytes:
    return gzip.compress(filler * (MiB // len(filler)), compresslevel=9, mtime=0)


def gzipped_filler(mib: int, filler: bytes = b"\0") -> bytes:
    """`mib` MiB of `filler` as concatenated gzip members (one gzip stream to a reader):
    about 1 KiB on disk per MiB, and built in no time."""
    return _gzipped_mib(filler) * mib


def header(name: str, kind: bytes, size: int) -> bytes:
    """One raw tar header block that declares `size` bytes, whatever follows it."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    return info.tobuf(tarfile.GNU_FORMAT)


def _blocks(content: bytes) -> bytes:
    return content + bytes(-len(content) % tarfile.BLOCKSIZE)


def _gzipped_file(good: Path, out: Path, tar: bytes, mib: int, filler: bytes = b"\0") -> Path:
    """A `.tar.gz` named after `good`: `tar`, then `mib` MiB of `filler`."""
    content = gzip.compress(tar, mtime=0) + gzipped_filler(mib, filler)
    return _file_with(good.with_name(good.name + ".gz"), out, content)


def extension_bomb(kind: bytes, declared: int) -> bytes:
    """A `.tar.gz` whose first member is an extension header (`kind`: a GNU long name, a pax
    header...) declaring `declared` bytes, followed by 256 MiB of zeros (250 KiB on disk):
    a reader that believes the header reads them all at once."""
    return gzip.compress(header("././@LongLink", kind, declared), mtime=0) + gzipped_filler(256)


def _extension_bomb(good: Path, out: Path, kind: bytes, declared: int) -> Path:
    return _file_with(good.with_name(good.name + ".gz"), out, extension_bomb(kind, declared))


def long_name_bomb_1gib(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _extension_bomb(good, out, tarfile.GNUTYPE_LONGNAME, GiB)


def long_name_bomb_4gib(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _extension_bomb(good, out, tarfile.GNUTYPE_LONGNAME, 4 * GiB)


def long_link_bomb(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _extension_bomb(good, out, tarfile.GNUTYPE_LONGLINK, GiB)


def pax_bomb(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _extension_bomb(good, out, tarfile.XHDTYPE, GiB)


def global_pax_bomb(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    return _extension_bomb(good, out, tarfile.XGLTYPE, GiB)


def long_name_chain(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    """Thousands of small long-name headers in a row: each one is fine, the chain is not
    (tarfile follows it by recursion)."""
    top = good.name.removesuffix(".tar")
    name = f"{top}/bagit.txt".encode() + b"\0"
    link = header("././@LongLink", tarfile.GNUTYPE_LONGNAME, len(name)) + _blocks(name)
    return _file_with(good, out, link * 2000 + header(f"{top}/bagit.txt", tarfile.REGTYPE, 0))


def sparse_map_without_end(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    """A pax header announcing a GNU 1.0 sparse map, and a member whose data is a map of a
    hundred million entries: tarfile reads it into a list while it parses the header."""
    top = good.name.removesuffix(".tar")
    member = tarfile.TarInfo(f"{top}/bagit.txt")
    member.size = 60 * MiB
    member.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0"}
    tar = member.tobuf(tarfile.PAX_FORMAT) + b"100000000\n"
    return _gzipped_file(good, out, tar, mib=60, filler=b"1\n")


def _up_to_the_payload(bag: Bag, declared: int) -> bytes:
    """The bag's members as tar bytes up to the payload's header, which declares `declared`
    bytes; its data is for the caller to add."""
    members = b"".join(
        member.info.tobuf(tarfile.GNU_FORMAT) + _blocks(member.content or b"")
        for member in bag.members
        if member.relative != PAYLOAD
    )
    return members + header(f"{bag.top}/{PAYLOAD}", tarfile.REGTYPE, declared)


def payload_bomb(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    """Signed tag files for a payload of 1 GiB, and the payload: compressed zeros."""
    bag = take_apart(good)
    bag.set_info("Payload-Oxum", f"{GiB}.1")
    bag.set_info("Record-Count", "1")
    bag.resign(key)
    return _gzipped_file(good, out, _up_to_the_payload(bag, GiB), mib=256)


@cache
def _sha256_of_zeros(size: int) -> str:
    return hashlib.sha256(bytes(size)).hexdigest()


def payload_bomb_within_the_limit(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    """Correctly signed and hashed: a payload of 60 MiB of zeros, one endless record."""
    size = 60 * MiB
    bag = take_apart(good)
    bag.replace("manifest-sha256.txt", f"{_sha256_of_zeros(size)}  {PAYLOAD}\n".encode())
    bag.set_info("Payload-Oxum", f"{size}.1")
    bag.set_info("Record-Count", "1")
    bag.resign(key)
    return _gzipped_file(good, out, _up_to_the_payload(bag, size), mib=60 + 1)


def zeros_after_the_payload(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    """A good batch and then 256 MiB of zeros, which pass for end-of-archive padding."""
    return _gzipped_file(good, out, good.read_bytes(), mib=256)


def thousands_of_empty_members(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    bag = take_apart(good)
    for number in range(1, 5001):
        bag.add(f"empty-{number:04d}", index=number)
        bag.members[number].content = b""
        bag.members[number].info.size = 0
    return bag.write(out)


def huge_declared_size_short_body(good: Path, out: Path, key: Ed25519PrivateKey) -> Path:
    """bagit.txt declares 1 GiB and holds its usual 54 bytes; the archive ends there."""
    bag = take_apart(good)
    bagit = bag.member("bagit.txt")
    tar = header(bagit.info.name, tarfile.REGTYPE, GiB) + _blocks(bagit.content or b"")
    return _file_with(good, out, tar + bytes(2 * tarfile.BLOCKSIZE))


CASES: dict[str, tuple[Builder, str]] = {
    "flipped payload byte": (flipped_payload_byte, "batch.checksum"),
    "truncated tar": (truncated_tar, "batch.truncated"),
    "cut before the payload": (cut_before_payload, "batch.truncated"),
    "missing tag file": (missing_tag_file, "batch.member"),
    "record count too high": (record_count_too_high, "batch.count"),
    "record count too low": (record_count_too_low, "batch.count"),
    "wrong payload oxum": (wrong_payload_oxum, "batch.oxum"),
    "forged signature": (forged_signature, "batch.signature"),
    "garbled signature": (garbled_signature, "batch.signature"),
    "unsigned bag-info change": (unsigned_bag_info_change, "batch.tag_manifest"),
    "wrong source network": (wrong_source_network, "batch.source"),
    "unknown bag-info field": (unknown_bag_info_field, "batch.format"),
    "wrong bagit declaration": (wrong_bagit_declaration, "batch.format"),
    "oversize record": (oversize_record, "batch.limit"),
    "invalid utf-8": (invalid_utf8, "batch.encoding"),
    "invalid json": (invalid_json, "batch.schema"),
    "not an object": (not_an_object, "batch.schema"),
    "unknown field": (unknown_field, "batch.schema"),
    "wrong schema": (wrong_schema, "batch.schema"),
    "no final newline": (no_final_newline, "batch.format"),
    "symlink member": (symlink_member, "batch.member"),
    "hardlink member": (hardlink_member, "batch.member"),
    "fifo member": (fifo_member, "batch.member"),
    "device member": (device_member, "batch.member"),
    "dotdot member": (dotdot_member, "batch.member"),
    "absolute member": (absolute_member, "batch.member"),
    "member outside the bag": (member_outside_bag, "batch.member"),
    "unexpected member": (unexpected_member, "batch.member"),
    "duplicate member": (duplicate_member, "batch.member"),
    "payload not last": (payload_not_last, "batch.member"),
    "member after payload": (member_after_payload, "batch.member"),
    "bytes after the archive": (bytes_after_the_archive, "batch.format"),
    "garbage after the payload": (garbage_after_payload, "batch.format"),
    "zero-byte file": (zero_byte_file, "batch.truncated"),
    "not a tar": (not_a_tar, "batch.format"),
    "renamed to another sequence": (renamed_to_other_sequence, "batch.format"),
    "unknown schema version": (unknown_schema_version, "batch.schema_version"),
    "long-name bomb (1 GiB)": (long_name_bomb_1gib, "batch.limit"),
    "long-name bomb (4 GiB)": (long_name_bomb_4gib, "batch.limit"),
    "long-link bomb": (long_link_bomb, "batch.limit"),
    "pax bomb": (pax_bomb, "batch.limit"),
    "global pax bomb": (global_pax_bomb, "batch.limit"),
    "long-name chain": (long_name_chain, "batch.limit"),
    "sparse map without end": (sparse_map_without_end, "batch.limit"),
    "payload bomb": (payload_bomb, "batch.limit"),
    "payload bomb within the limit": (payload_bomb_within_the_limit, "batch.limit"),
    "zeros after the payload": (zeros_after_the_payload, "batch.limit"),
    "thousands of empty members": (thousands_of_empty_members, "batch.member"),
    "huge declared size, short body": (huge_declared_size_short_body, "batch.limit"),
}
