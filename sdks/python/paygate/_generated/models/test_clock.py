from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="TestClock")


@_attrs_define
class TestClock:
    """A frozen time for trying subscriptions out (`clock_…`, test mode only).

    Attributes:
        id (str):  Example: clock_7a8b9c0d1e2f3a4b5c6d7e8f.
        object_ (str): Always `test_clock`. Example: test_clock.
        status (str): `ready`, or `advancing` while an advance runs. Example: ready.
        livemode (bool):
        name (None | str | Unset):
        frozen_time (datetime.datetime | None | Unset):
        created_at (datetime.datetime | None | Unset):
    """

    id: str
    object_: str
    status: str
    livemode: bool
    name: None | str | Unset = UNSET
    frozen_time: datetime.datetime | None | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        object_ = self.object_

        status = self.status

        livemode = self.livemode

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        frozen_time: None | str | Unset
        if isinstance(self.frozen_time, Unset):
            frozen_time = UNSET
        elif isinstance(self.frozen_time, datetime.datetime):
            frozen_time = self.frozen_time.isoformat()
        else:
            frozen_time = self.frozen_time

        created_at: None | str | Unset
        if isinstance(self.created_at, Unset):
            created_at = UNSET
        elif isinstance(self.created_at, datetime.datetime):
            created_at = self.created_at.isoformat()
        else:
            created_at = self.created_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "status": status,
                "livemode": livemode,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if frozen_time is not UNSET:
            field_dict["frozenTime"] = frozen_time
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        status = d.pop("status")

        livemode = d.pop("livemode")

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_frozen_time(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                frozen_time_type_0 = datetime.datetime.fromisoformat(data)

                return frozen_time_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        frozen_time = _parse_frozen_time(d.pop("frozenTime", UNSET))

        def _parse_created_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                created_at_type_0 = datetime.datetime.fromisoformat(data)

                return created_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        created_at = _parse_created_at(d.pop("createdAt", UNSET))

        test_clock = cls(
            id=id,
            object_=object_,
            status=status,
            livemode=livemode,
            name=name,
            frozen_time=frozen_time,
            created_at=created_at,
        )

        test_clock.additional_properties = d
        return test_clock

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
