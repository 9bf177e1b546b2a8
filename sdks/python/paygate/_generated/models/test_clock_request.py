from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="TestClockRequest")


@_attrs_define
class TestClockRequest:
    """`POST /api/v1/test-clocks` and `POST /api/v1/test-clocks/{id}/advance`.

    Example:
        {'frozenTime': '2026-01-01T00:00:00Z'}

    Attributes:
        frozen_time (datetime.datetime | None | Unset): RFC 3339; an advance only moves forward.
        name (None | str | Unset): On create only.
    """

    frozen_time: datetime.datetime | None | Unset = UNSET
    name: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        frozen_time: None | str | Unset
        if isinstance(self.frozen_time, Unset):
            frozen_time = UNSET
        elif isinstance(self.frozen_time, datetime.datetime):
            frozen_time = self.frozen_time.isoformat()
        else:
            frozen_time = self.frozen_time

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if frozen_time is not UNSET:
            field_dict["frozenTime"] = frozen_time
        if name is not UNSET:
            field_dict["name"] = name

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

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

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        test_clock_request = cls(
            frozen_time=frozen_time,
            name=name,
        )

        return test_clock_request
