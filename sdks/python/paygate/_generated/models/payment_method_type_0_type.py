from enum import StrEnum


class PaymentMethodType0Type(StrEnum):
    CARD = "card"

    def __str__(self) -> str:
        return str(self.value)
