from enum import StrEnum


class CreateProviderRequestType(StrEnum):
    GOCARDLESS = "gocardless"
    SANDBOX = "sandbox"
    STRIPE = "stripe"

    def __str__(self) -> str:
        return str(self.value)
