from enum import StrEnum


class PaymentMethodType2Type(StrEnum):
    MANDATE = "mandate"

    def __str__(self) -> str:
        return str(self.value)
