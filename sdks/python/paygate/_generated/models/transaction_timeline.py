from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.timeline_entry import TimelineEntry


T = TypeVar("T", bound="TransactionTimeline")


@_attrs_define
class TransactionTimeline:
    """A transaction's timeline, oldest first.

    Attributes:
        transaction_id (str):  Example: txn_6f7a8b9c0d1e2f3a4b5c6d7e.
        data (list[TimelineEntry]):
    """

    transaction_id: str
    data: list[TimelineEntry]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        transaction_id = self.transaction_id

        data = []
        for data_item_data in self.data:
            data_item = data_item_data.to_dict()
            data.append(data_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "transactionId": transaction_id,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.timeline_entry import TimelineEntry

        d = dict(src_dict)
        transaction_id = d.pop("transactionId")

        data = []
        _data = d.pop("data")
        for data_item_data in _data:
            data_item = TimelineEntry.from_dict(data_item_data)

            data.append(data_item)

        transaction_timeline = cls(
            transaction_id=transaction_id,
            data=data,
        )

        transaction_timeline.additional_properties = d
        return transaction_timeline

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
