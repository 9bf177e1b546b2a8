from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="QueueStatus")


@_attrs_define
class QueueStatus:
    """
    Attributes:
        queue (str):  Example: payment.initiated.
        depth (int):
        in_flight (int):
        retried (int):
        dead (int):
    """

    queue: str
    depth: int
    in_flight: int
    retried: int
    dead: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        queue = self.queue

        depth = self.depth

        in_flight = self.in_flight

        retried = self.retried

        dead = self.dead

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "queue": queue,
                "depth": depth,
                "inFlight": in_flight,
                "retried": retried,
                "dead": dead,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        queue = d.pop("queue")

        depth = d.pop("depth")

        in_flight = d.pop("inFlight")

        retried = d.pop("retried")

        dead = d.pop("dead")

        queue_status = cls(
            queue=queue,
            depth=depth,
            in_flight=in_flight,
            retried=retried,
            dead=dead,
        )

        queue_status.additional_properties = d
        return queue_status

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
