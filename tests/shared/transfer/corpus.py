"""Bad batches, each built from a good one the way a fault or an attacker would make it.

Every builder takes the good batch file and returns the path of a bad copy with the same
file name in another directory, so only the damage differs.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
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
}
