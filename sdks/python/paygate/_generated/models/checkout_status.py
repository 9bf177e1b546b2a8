from enum import StrEnum


class CheckoutStatus(StrEnum):
    CANCELED = "canceled"
    COMPLETED = "completed"
    EXPIRED = "expired"
    OPEN = "open"
    PROCESSING = "processing"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return str(self.value)
