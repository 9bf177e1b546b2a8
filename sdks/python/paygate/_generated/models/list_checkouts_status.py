from enum import StrEnum


class ListCheckoutsStatus(StrEnum):
    CANCELED = "canceled"
    COMPLETED = "completed"
    EXPIRED = "expired"
    OPEN = "open"
    PROCESSING = "processing"

    def __str__(self) -> str:
        return str(self.value)
