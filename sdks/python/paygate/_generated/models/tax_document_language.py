from enum import StrEnum


class TaxDocumentLanguage(StrEnum):
    DE = "de"
    EN = "en"
    FR = "fr"

    def __str__(self) -> str:
        return str(self.value)
