"""What an operator can do with a batch without the peer's key: look inside, unpack it.

Neither function checks the signature (use `verify_batch` for that); both still refuse
unsafe members and respect the size limits, so a hostile file cannot escape the target
directory or exhaust memory.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from shared.transfer.archive import READ_CHUNK, open_archive, translated_errors
from shared.transfer.bag import BAG_INFO_TXT, PAYLOAD, TAG_FILE_MAX_BYTES, TAG_FILES, BatchLimits
from shared.transfer.errors import BatchRejected


@dataclass
class BatchSummary:
    """What a batch file says about itself (unverified)."""

    name: str
    encrypted: bool
    compressed: bool
    members: list[tuple[str, int]] = field(default_factory=list)
    bag_info: list[tuple[str, str]] = field(default_factory=list)
    payload_bytes: int = 0
    payload_lines: int = 0


def inspect_batch(
    path: Path, *, age_identity: str | None = None, limits: BatchLimits | None = None
) -> BatchSummary:
    """List the members and bag-info fields and count the payload's lines."""
    with open_archive(path, limits=limits or BatchLimits(), age_identity=age_identity) as archive:
        summary = BatchSummary(path.name, archive.name.encrypted, archive.name.compressed)
        for relative, info in archive.members():
            summary.members.append((relative, info.size))
            if relative == BAG_INFO_TXT:
                text = archive.read_small(info, TAG_FILE_MAX_BYTES).decode("utf-8", "replace")
                summary.bag_info = [
                    (label.strip(), value.strip())
                    for label, _, value in (line.partition(":") for line in text.splitlines())
                ]
            elif relative == PAYLOAD:
                with translated_errors():
                    payload = archive.open_member(info)
                    while chunk := payload.read(READ_CHUNK):
                        summary.payload_bytes += len(chunk)
                        summary.payload_lines += chunk.count(b"\n")
    return summary


def unpack_batch(
    path: Path,
    destination: Path,
    *,
    age_identity: str | None = None,
    limits: BatchLimits | None = None,
) -> Path:
    """Write the batch as a plain BagIt bag `destination/<bag directory>` and return it.

    The bag appears atomically (built under a hidden name, then renamed); any BagIt tool
    validates it. The signature file stays as an extra tag file.
    """
    with open_archive(path, limits=limits or BatchLimits(), age_identity=age_identity) as archive:
        bag = destination / archive.name.bag_directory
        if bag.exists():
            raise FileExistsError(bag)
        destination.mkdir(parents=True, exist_ok=True)
        building = destination / f".{bag.name}.{uuid.uuid4().hex[:8]}.tmp"
        building.mkdir()
        try:
            (building / "data").mkdir()
            for relative, info in archive.members():
                if relative not in (*TAG_FILES, PAYLOAD):
                    raise BatchRejected("batch.member", f"unexpected member {relative!r}")
                target = building / relative
                if relative == PAYLOAD:
                    with translated_errors(), target.open("wb") as handle:
                        shutil.copyfileobj(archive.open_member(info), handle, READ_CHUNK)
                else:
                    target.write_bytes(archive.read_small(info, TAG_FILE_MAX_BYTES))
            os.rename(building, bag)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    return bag
