from enum import StrEnum


class RequestStatus(StrEnum):
    ANSWERED = "answered"
    CANCELLED = "cancelled"
    DELIVERED = "delivered"
    EXPORTED = "exported"
    FAILED = "failed"
    PENDING = "pending"
    PROCESSING = "processing"
    RECEIVED = "received"
    REJECTED = "rejected"

    def __str__(self) -> str:
        return str(self.value)
