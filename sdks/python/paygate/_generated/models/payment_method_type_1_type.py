from enum import StrEnum


class PaymentMethodType1Type(StrEnum):
    UPI = "upi"

    def __str__(self) -> str:
        return str(self.value)
