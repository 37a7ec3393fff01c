from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.inbound_read import InboundRead
    from ..models.outbound_read import OutboundRead
    from ..models.quarantined_read import QuarantinedRead


T = TypeVar("T", bound="TransferRead")


@_attrs_define
class TransferRead:
    """
    Attributes:
        acknowledgements (bool):
        inbound (list[InboundRead]):
        network (str):
        outbound (list[OutboundRead]):
        peer (str):
        quarantined (list[QuarantinedRead]):
        waiting (int):
    """

    acknowledgements: bool
    inbound: list[InboundRead]
    network: str
    outbound: list[OutboundRead]
    peer: str
    quarantined: list[QuarantinedRead]
    waiting: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        acknowledgements = self.acknowledgements

        inbound = []
        for inbound_item_data in self.inbound:
            inbound_item = inbound_item_data.to_dict()
            inbound.append(inbound_item)

        network = self.network

        outbound = []
        for outbound_item_data in self.outbound:
            outbound_item = outbound_item_data.to_dict()
            outbound.append(outbound_item)

        peer = self.peer

        quarantined = []
        for quarantined_item_data in self.quarantined:
            quarantined_item = quarantined_item_data.to_dict()
            quarantined.append(quarantined_item)

        waiting = self.waiting

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "acknowledgements": acknowledgements,
                "inbound": inbound,
                "network": network,
                "outbound": outbound,
                "peer": peer,
                "quarantined": quarantined,
                "waiting": waiting,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.inbound_read import InboundRead  # noqa: PLC0415
        from ..models.outbound_read import OutboundRead  # noqa: PLC0415
        from ..models.quarantined_read import QuarantinedRead  # noqa: PLC0415

        d = dict(src_dict)
        acknowledgements = d.pop("acknowledgements")

        inbound = []
        _inbound = d.pop("inbound")
        for inbound_item_data in _inbound:
            inbound_item = InboundRead.from_dict(inbound_item_data)

            inbound.append(inbound_item)

        network = d.pop("network")

        outbound = []
        _outbound = d.pop("outbound")
        for outbound_item_data in _outbound:
            outbound_item = OutboundRead.from_dict(outbound_item_data)

            outbound.append(outbound_item)

        peer = d.pop("peer")

        quarantined = []
        _quarantined = d.pop("quarantined")
        for quarantined_item_data in _quarantined:
            quarantined_item = QuarantinedRead.from_dict(quarantined_item_data)

            quarantined.append(quarantined_item)

        waiting = d.pop("waiting")

        transfer_read = cls(
            acknowledgements=acknowledgements,
            inbound=inbound,
            network=network,
            outbound=outbound,
            peer=peer,
            quarantined=quarantined,
            waiting=waiting,
        )

        transfer_read.additional_properties = d
        return transfer_read

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
