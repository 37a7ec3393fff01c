"""File moves in the transfer directory: publish, resend, quarantine, requeue. All atomic."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import orjson

from core.db import utcnow
from shared.transfer.bag import parse_batch_name


def is_in_flight(name: str) -> bool:
    """Hidden files are batches still being written (`.name.tmp`) or tool droppings."""
    return name.startswith(".")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace(source: Path, target: Path) -> None:
    """`os.replace`, also when both names are links to one file: rename(2) then does nothing
    and reports success, leaving `source` where it was (a resent batch whose processed copy
    is a link of the inbox file, both networks on one file system)."""
    os.replace(source, target)
    with contextlib.suppress(FileNotFoundError):
        if os.path.samefile(source, target):
            os.unlink(source)


def place(source: Path, directory: Path, *, keep_source: bool) -> Path:
    """Put `source` into `directory` under its own name, never visible half-written."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / source.name
    temporary = directory / f".{source.name}.tmp"
    if keep_source:
        try:
            os.link(source, temporary)
        except OSError:  # another file system: copy instead (content and permissions)
            shutil.copy(source, temporary)
            with open(temporary, "rb+") as handle:
                os.fsync(handle.fileno())
        _replace(temporary, target)
    else:
        try:
            _replace(source, target)
        except OSError:
            shutil.copy(source, temporary)
            os.replace(temporary, target)
            source.unlink()
    _fsync_dir(directory)
    return target


def set_aside_processed(source: Path, directory: Path) -> Path:
    """Move an imported batch into `processed/`, dated now: its retention runs from the import."""
    target = place(source, directory, keep_source=False)
    os.utime(target)
    return target


def prune_older_than(directory: Path, age: timedelta) -> int:
    """Delete the files of `directory` last modified more than `age` ago; returns how many."""
    if not directory.exists():
        return 0
    cutoff = time.time() - age.total_seconds()
    pruned = 0
    with os.scandir(directory) as entries:
        for entry in entries:
            with contextlib.suppress(FileNotFoundError):  # gone meanwhile: nothing to do
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    pruned += 1
    return pruned


def stale_temporaries(directories: Iterable[Path], age: timedelta) -> list[Path]:
    """Hidden `.<name>.tmp` files last written more than `age` ago: left by a killed writer
    (a writer at work keeps writing, so its temporary stays young)."""
    cutoff = time.time() - age.total_seconds()
    stale: list[Path] = []
    for directory in directories:
        if not directory.exists():
            continue
        with os.scandir(directory) as entries:
            for entry in entries:
                if not (entry.name.startswith(".") and entry.name.endswith(".tmp")):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                        stale.append(Path(entry.path))
    return sorted(stale)


def sweep_stale_temporaries(directories: Iterable[Path], age: timedelta) -> list[Path]:
    """Delete what `stale_temporaries` finds; returns the files deleted."""
    swept = stale_temporaries(directories, age)
    for path in swept:
        path.unlink(missing_ok=True)
    return swept


def unique_target(directory: Path, name: str) -> Path:
    target = directory / name
    counter = 1
    while target.exists():
        target = directory / f"{name}.{counter}"
        counter += 1
    return target


@dataclass(frozen=True)
class QuarantineReason:
    file: str
    code: str
    detail: str
    check: str
    at: datetime


def quarantine(path: Path, directory: Path, *, code: str, detail: str, check: str) -> Path:
    """Move a refused batch aside with `<name>.reason.json` beside it."""
    directory.mkdir(parents=True, exist_ok=True)
    target = unique_target(directory, path.name)
    reason = {
        "file": target.name,
        "code": code,
        "detail": detail,
        "check": check,
        "at": utcnow().isoformat(),
    }
    reason_path = directory / f"{target.name}.reason.json"
    reason_path.write_bytes(orjson.dumps(reason, option=orjson.OPT_INDENT_2))
    with contextlib.suppress(FileNotFoundError):
        os.replace(path, target)
    return target


def list_quarantined(directory: Path) -> list[QuarantineReason]:
    reasons: list[QuarantineReason] = []
    if not directory.exists():
        return reasons
    for reason_path in sorted(directory.glob("*.reason.json")):
        try:
            data = orjson.loads(reason_path.read_bytes())
            reasons.append(
                QuarantineReason(
                    file=str(data["file"]),
                    code=str(data["code"]),
                    detail=str(data["detail"]),
                    check=str(data.get("check", "")),
                    at=datetime.fromisoformat(str(data["at"])),
                )
            )
        except (OSError, ValueError, KeyError):
            continue
    return reasons


def requeue(name: str, quarantine_dir: Path, inbox_dir: Path) -> Path:
    """Give a quarantined batch another try once its cause is fixed."""
    if "/" in name or name.startswith("."):
        raise FileNotFoundError(name)
    source = quarantine_dir / name
    if not source.is_file():
        raise FileNotFoundError(name)
    original = re.sub(r"\.\d+$", "", name)  # undo unique_target's suffix
    target = place(source, inbox_dir, keep_source=False)
    if target.name != original:
        target = target.rename(inbox_dir / original)
    (quarantine_dir / f"{name}.reason.json").unlink(missing_ok=True)
    return target


def pending_files(directory: Path, stream: str | None = None) -> list[Path]:
    """Batches waiting in the inbox (of `stream` only, if given), in stream and sequence
    order; in-flight files skipped."""
    if not directory.exists():
        return []
    files = [p for p in directory.iterdir() if p.is_file() and not is_in_flight(p.name)]
    if stream is not None:
        files = [p for p in files if (name := parse_batch_name(p.name)) and name.stream == stream]

    def order(path: Path) -> tuple[str, int, str]:
        name = parse_batch_name(path.name)
        return (name.stream, name.sequence, path.name) if name else ("~", 0, path.name)

    return sorted(files, key=order)
