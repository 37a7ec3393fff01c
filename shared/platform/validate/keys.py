"""The signing keys seen from both sides: where a network's key files are, whether two
one-line public keys are the same key, and the check that needs both networks' reports (each
side's peer key is the other side's public key).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from core.signing_keys import KeyFiles
from shared.exchange.keys import PEERS, peer_key_path, public_key_path, signing_key_path
from shared.exchange.settings import TransferNetworkSettings
from shared.platform.validate.model import Check, NetworkReport
from shared.transfer import parse_public_key


def key_files(settings: TransferNetworkSettings) -> KeyFiles:
    return KeyFiles(
        signing_key_path(settings).resolve(),
        public_key_path(settings).resolve(),
        peer_key_path(settings).resolve(),
    )


def same_key(one: str, other: str) -> bool:
    """Two one-line public keys name the same key (comments aside)."""
    try:
        keys = [parse_public_key(text) for text in (one, other)]
    except ValueError:
        return False
    raw = [key.public_bytes(Encoding.Raw, PublicFormat.Raw) for key in keys]
    return raw[0] == raw[1]


def peer_key_checks(reports: dict[str, NetworkReport]) -> list[Check]:
    """Each side's peer key is the other side's public key."""
    checks = []
    for network, report in reports.items():
        other = reports.get(PEERS[network])
        if other is None:
            continue
        name, peer = "peer key", other.network
        if report.peer_public_key is None or other.public_key is None:
            checks.append(
                Check(network, name, False, f"nothing to compare with {peer}", "see keys above")
            )
        elif same_key(report.peer_public_key, other.public_key):
            checks.append(Check(network, name, True, f"matches the {peer} network's signing key"))
        else:
            checks.append(
                Check(
                    network,
                    name,
                    False,
                    f"{report.peer_key_path} does not match the {peer} network's signing key",
                    f"write the output of `airlock-{peer} keys show` (run on the {peer} "
                    f"network) to {report.peer_key_path}",
                )
            )
    return checks
