from enum import StrEnum


class ExportTransactionsStatus(StrEnum):
    CANCELED = "canceled"
    FAILED = "failed"
    PENDING = "pending"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    SUCCEEDED = "succeeded"

    def __str__(self) -> str:
        return str(self.value)
