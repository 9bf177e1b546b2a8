from enum import StrEnum


class UserRole(StrEnum):
    ADMIN = "admin"
    DEVELOPER = "developer"
    OWNER = "owner"
    SUPPORT = "support"
    VIEWER = "viewer"

    def __str__(self) -> str:
        return str(self.value)
