"""A network's transfer keys: where they live, generating them, loading and checking them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.process import fail
from core.settings import env_name
from shared.exchange.context import Keys
from shared.exchange.settings import TransferNetworkSettings as Settings
from shared.transfer import (
    generate_signing_key,
    load_age_identity,
    load_private_key,
    load_public_key,
    save_private_key,
    save_public_key,
)

PEERS = {"response": "request", "request": "response"}

KeyT = TypeVar("KeyT")


def signing_key_path(settings: Settings) -> Path:
    return settings.signing_key_file or settings.var_dir / "keys" / f"{settings.network_name}.key"


def public_key_path(settings: Settings) -> Path:
    return signing_key_path(settings).with_suffix(".pub")


def peer_key_path(settings: Settings) -> Path:
    peer = PEERS[settings.network_name]
    return settings.peer_public_key_file or settings.var_dir / "keys" / f"{peer}.pub"


def generate_keys(settings: Settings, *, overwrite: bool = False) -> tuple[Path, str]:
    """Create this network's key pair; returns the public key file and its text."""
    private_path = signing_key_path(settings)
    if private_path.exists() and not overwrite:
        raise FileExistsError(private_path)
    key = generate_signing_key()
    save_private_key(key, private_path)
    public_path = public_key_path(settings)
    save_public_key(key.public_key(), public_path)
    return public_path, public_path.read_text().strip()


def ensure_keys(settings: Settings) -> None:
    """Embedded mode: make a key pair on first start so `make run` needs no set-up."""
    if not signing_key_path(settings).exists():
        generate_keys(settings)


class KeySettingInvalid(ValueError):
    """A key setting names a file that cannot be used; says which setting and why."""

    def __init__(self, setting: str, reason: str) -> None:
        super().__init__(f"setting {setting} is invalid: {reason}")


def _load_key(
    settings: Settings, field: str, path: Path | None, load: Callable[[Path], KeyT]
) -> KeyT | None:
    """The key at `path`; None only for a default location not set up yet (the network
    then waits for it, as documented). A file named in a setting must be there and usable."""
    if path is None or (getattr(settings, field) is None and not path.exists()):
        return None
    try:
        return load(path)
    except FileNotFoundError:
        reason = f"{path} does not exist"
    except OSError as exc:
        reason = f"{path} cannot be read ({exc.strerror or type(exc).__name__})"
    except UnicodeDecodeError:
        reason = f"{path}: not a text file"
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        reason = f"{path}: {exc}"
    raise KeySettingInvalid(env_name(settings, field), reason)


def _signing_key(path: Path) -> Ed25519PrivateKey:
    try:
        return load_private_key(path)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # cryptography's own message is a paragraph about every format it tried.
        raise ValueError(
            "not an unencrypted Ed25519 private key in PEM (`keys generate` writes one)"
        ) from None


def load_keys(settings: Settings) -> Keys:
    """Every key the settings name, checked: `KeySettingInvalid` for one that cannot be used."""
    return Keys(
        signing_key=_load_key(
            settings, "signing_key_file", signing_key_path(settings), _signing_key
        ),
        peer_verify_key=_load_key(
            settings, "peer_public_key_file", peer_key_path(settings), load_public_key
        ),
        age_identity=_load_key(
            settings, "age_identity_file", settings.age_identity_file, load_age_identity
        ),
        peer_age_recipient=settings.peer_age_recipient,
    )


def check_keys(settings: Settings) -> None:
    """At start: a key that cannot be used stops the process with one line naming its
    setting, instead of every batch being refused (or quarantined) later."""
    try:
        load_keys(settings)
    except KeySettingInvalid as invalid:
        fail(str(invalid))
