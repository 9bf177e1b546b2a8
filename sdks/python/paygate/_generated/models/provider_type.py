from enum import StrEnum


class ProviderType(StrEnum):
    GOCARDLESS = "gocardless"
    SANDBOX = "sandbox"
    STRIPE = "stripe"

    def __str__(self) -> str:
        return str(self.value)
