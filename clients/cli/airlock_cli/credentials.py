"""Where `login` keeps what it was given: `$XDG_CONFIG_HOME/airlock/credentials.json`
(`~/.config/airlock/...` without it), readable by its owner only (0600, its folder 0700)."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from airlock_cli.exits import ExitCode, Failure

DEFAULT_URL = "http://127.0.0.1:8001"
LOG_IN_AGAIN = "log in again: airlock-client login"


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "airlock"


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


@dataclass(frozen=True)
class Credentials:
    url: str
    token: str
    """A login token or an API key: both go as the bearer."""
    username: str
    expires_at: float | None = None
    """Unix time the login token ends; None for an API key."""

    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= time.time()


def save(credentials: Credentials) -> Path:
    path = credentials_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Created 0600 before anything is written: the token is never readable by others, not
    # even for a moment; an existing file is narrowed too.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(asdict(credentials), file)
    return path


def forget() -> None:
    credentials_path().unlink(missing_ok=True)


def load() -> Credentials | None:
    path = credentials_path()
    try:
        data = json.loads(path.read_text())
        return Credentials(**data)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as error:
        message = f"{path} is unreadable ({error}): {LOG_IN_AGAIN}"
        raise Failure(message, ExitCode.NOT_LOGGED_IN) from None


def server_url(option: str | None, stored: Credentials | None) -> str:
    """`--url` (or `AIRLOCK_URL`), else where the stored login was made, else the default."""
    url = option or (stored.url if stored else DEFAULT_URL)
    if not url.startswith(("http://", "https://")) or len(url) > 2048:
        raise Failure(f"--url {url[:80]!r}: expected http://HOST[:PORT]", ExitCode.USAGE)
    return url.rstrip("/")
