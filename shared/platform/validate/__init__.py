"""Check a running Airlock and say what to fix: `validate_setup.sh` / `airlock validate`.

Each network checks itself in its own process with its own settings
(`airlock-<network> validate`, locally or inside its compose container); `airlock validate`
runs both, adds the checks that need both sides (each trusts the other's key) and prints one
line per check.
"""

from shared.platform.validate.checks import MAX_CLOCK_SKEW, validate_network
from shared.platform.validate.command import (
    NETWORK_MODULES,
    Compose,
    Mode,
    Networks,
    api_url,
    run_validation,
    validate_command,
)
from shared.platform.validate.keys import key_files, peer_key_checks, same_key
from shared.platform.validate.model import CHECKS, Check, NetworkReport, Target

__all__ = [
    "CHECKS",
    "MAX_CLOCK_SKEW",
    "NETWORK_MODULES",
    "Check",
    "Compose",
    "Mode",
    "NetworkReport",
    "Networks",
    "Target",
    "api_url",
    "key_files",
    "peer_key_checks",
    "run_validation",
    "same_key",
    "validate_command",
    "validate_network",
]
