from enum import StrEnum


class CancellationDetailsReasonType3Type1(StrEnum):
    MISSING_FEATURES = "missing_features"
    OTHER = "other"
    SWITCHED_SERVICE = "switched_service"
    TOO_EXPENSIVE = "too_expensive"
    UNUSED = "unused"

    def __str__(self) -> str:
        return str(self.value)
