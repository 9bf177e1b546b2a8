from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.test_clock import TestClock


T = TypeVar("T", bound="ListTestClocksResponse200")


@_attrs_define
class ListTestClocksResponse200:
    """A page of a list, newest first. Pass the last `id` as `startingAfter`
    for the next page while `hasMore` is true.

        Attributes:
            object_ (str): Always `list`. Example: list.
            data (list[TestClock]):
            has_more (bool):
    """

    object_: str
    data: list[TestClock]
    has_more: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        object_ = self.object_

        data = []
        for data_item_data in self.data:
            data_item = data_item_data.to_dict()
            data.append(data_item)

        has_more = self.has_more

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "object": object_,
                "data": data,
                "hasMore": has_more,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.test_clock import TestClock

        d = dict(src_dict)
        object_ = d.pop("object")

        data = []
        _data = d.pop("data")
        for data_item_data in _data:
            data_item = TestClock.from_dict(data_item_data)

            data.append(data_item)

        has_more = d.pop("hasMore")

        list_test_clocks_response_200 = cls(
            object_=object_,
            data=data,
            has_more=has_more,
        )

        list_test_clocks_response_200.additional_properties = d
        return list_test_clocks_response_200

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
