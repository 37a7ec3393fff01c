from enum import StrEnum


class Rule(StrEnum):
    ERROR_RATE = "error_rate"
    GAP = "gap"
    QUARANTINE = "quarantine"
    STREAM_BLOCKED = "stream_blocked"
    STREAM_LAG = "stream_lag"
    TRANSFER_DISK = "transfer_disk"
    WORKER_HEARTBEAT = "worker_heartbeat"

    def __str__(self) -> str:
        return str(self.value)
