from enum import StrEnum


class KeyMode(StrEnum):
    LIVE = "live"
    TEST = "test"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return str(self.value)
