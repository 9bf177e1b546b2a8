from enum import StrEnum


class SandboxEventRequestType(StrEnum):
    CHARGE_FAILED = "charge.failed"
    CHARGE_SUCCEEDED = "charge.succeeded"
    DISPUTE_CREATED = "dispute.created"
    REFUND_SUCCEEDED = "refund.succeeded"

    def __str__(self) -> str:
        return str(self.value)
