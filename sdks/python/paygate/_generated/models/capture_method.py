from enum import StrEnum


class CaptureMethod(StrEnum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return str(self.value)
