from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.subscription_status import SubscriptionStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.cancellation_details import CancellationDetails
    from ..models.upcoming_charge import UpcomingCharge


T = TypeVar("T", bound="Subscription")


@_attrs_define
class Subscription:
    """A customer paying a plan every period (`sub_…`).

    Attributes:
        id (str):  Example: sub_6f7a8b9c0d1e2f3a4b5c6d7e.
        object_ (str): Always `subscription`. Example: subscription.
        status (SubscriptionStatus):
        customer_id (str):
        plan_id (str):
        site_id (str):
        plan_name (str):  Example: Pro monthly.
        amount (int): Gross per period, in minor units (the plan's). Example: 1900.
        currency (str):  Example: EUR.
        interval (str):  Example: month.
        interval_count (int):  Example: 1.
        cancel_at_period_end (bool): Ends (becomes `canceled`) at `currentPeriodEnd`; `resume` undoes it.
        payment_method (str): The saved payment method renewals charge (a provider reference). Example: tok_visa.
        failed_attempts (int): Failed attempts on the period in dunning (0 otherwise).
        periods_paid (int): Periods paid so far.
        livemode (bool):
        current_period_start (datetime.datetime | None | Unset):
        current_period_end (datetime.datetime | None | Unset):
        trial_start (datetime.datetime | None | Unset):
        trial_end (datetime.datetime | None | Unset):
        canceled_at (datetime.datetime | None | Unset): When the cancellation was asked for.
        ended_at (datetime.datetime | None | Unset): When it ended for good.
        cancellation_details (CancellationDetails | None | Unset):
        latest_invoice_id (None | str | Unset):
        next_charge_at (datetime.datetime | None | Unset): The next charge or dunning retry, if one is planned.
        upcoming (None | Unset | UpcomingCharge):
        last_failure_code (None | str | Unset): The last failed attempt's code, while in dunning.
        ipn_url (None | str | Unset):
        checkout_id (None | str | Unset): The checkout that sold it, if one did.
        test_clock_id (None | str | Unset):
        created_at (datetime.datetime | None | Unset):
    """

    id: str
    object_: str
    status: SubscriptionStatus
    customer_id: str
    plan_id: str
    site_id: str
    plan_name: str
    amount: int
    currency: str
    interval: str
    interval_count: int
    cancel_at_period_end: bool
    payment_method: str
    failed_attempts: int
    periods_paid: int
    livemode: bool
    current_period_start: datetime.datetime | None | Unset = UNSET
    current_period_end: datetime.datetime | None | Unset = UNSET
    trial_start: datetime.datetime | None | Unset = UNSET
    trial_end: datetime.datetime | None | Unset = UNSET
    canceled_at: datetime.datetime | None | Unset = UNSET
    ended_at: datetime.datetime | None | Unset = UNSET
    cancellation_details: CancellationDetails | None | Unset = UNSET
    latest_invoice_id: None | str | Unset = UNSET
    next_charge_at: datetime.datetime | None | Unset = UNSET
    upcoming: None | Unset | UpcomingCharge = UNSET
    last_failure_code: None | str | Unset = UNSET
    ipn_url: None | str | Unset = UNSET
    checkout_id: None | str | Unset = UNSET
    test_clock_id: None | str | Unset = UNSET
    created_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.cancellation_details import CancellationDetails
        from ..models.upcoming_charge import UpcomingCharge

        id = self.id

        object_ = self.object_

        status = self.status.value

        customer_id = self.customer_id

        plan_id = self.plan_id

        site_id = self.site_id

        plan_name = self.plan_name

        amount = self.amount

        currency = self.currency

        interval = self.interval

        interval_count = self.interval_count

        cancel_at_period_end = self.cancel_at_period_end

        payment_method = self.payment_method

        failed_attempts = self.failed_attempts

        periods_paid = self.periods_paid

        livemode = self.livemode

        current_period_start: None | str | Unset
        if isinstance(self.current_period_start, Unset):
            current_period_start = UNSET
        elif isinstance(self.current_period_start, datetime.datetime):
            current_period_start = self.current_period_start.isoformat()
        else:
            current_period_start = self.current_period_start

        current_period_end: None | str | Unset
        if isinstance(self.current_period_end, Unset):
            current_period_end = UNSET
        elif isinstance(self.current_period_end, datetime.datetime):
            current_period_end = self.current_period_end.isoformat()
        else:
            current_period_end = self.current_period_end

        trial_start: None | str | Unset
        if isinstance(self.trial_start, Unset):
            trial_start = UNSET
        elif isinstance(self.trial_start, datetime.datetime):
            trial_start = self.trial_start.isoformat()
        else:
            trial_start = self.trial_start

        trial_end: None | str | Unset
        if isinstance(self.trial_end, Unset):
            trial_end = UNSET
        elif isinstance(self.trial_end, datetime.datetime):
            trial_end = self.trial_end.isoformat()
        else:
            trial_end = self.trial_end

        canceled_at: None | str | Unset
        if isinstance(self.canceled_at, Unset):
            canceled_at = UNSET
        elif isinstance(self.canceled_at, datetime.datetime):
            canceled_at = self.canceled_at.isoformat()
        else:
            canceled_at = self.canceled_at

        ended_at: None | str | Unset
        if isinstance(self.ended_at, Unset):
            ended_at = UNSET
        elif isinstance(self.ended_at, datetime.datetime):
            ended_at = self.ended_at.isoformat()
        else:
            ended_at = self.ended_at

        cancellation_details: dict[str, Any] | None | Unset
        if isinstance(self.cancellation_details, Unset):
            cancellation_details = UNSET
        elif isinstance(self.cancellation_details, CancellationDetails):
            cancellation_details = self.cancellation_details.to_dict()
        else:
            cancellation_details = self.cancellation_details

        latest_invoice_id: None | str | Unset
        if isinstance(self.latest_invoice_id, Unset):
            latest_invoice_id = UNSET
        else:
            latest_invoice_id = self.latest_invoice_id

        next_charge_at: None | str | Unset
        if isinstance(self.next_charge_at, Unset):
            next_charge_at = UNSET
        elif isinstance(self.next_charge_at, datetime.datetime):
            next_charge_at = self.next_charge_at.isoformat()
        else:
            next_charge_at = self.next_charge_at

        upcoming: dict[str, Any] | None | Unset
        if isinstance(self.upcoming, Unset):
            upcoming = UNSET
        elif isinstance(self.upcoming, UpcomingCharge):
            upcoming = self.upcoming.to_dict()
        else:
            upcoming = self.upcoming

        last_failure_code: None | str | Unset
        if isinstance(self.last_failure_code, Unset):
            last_failure_code = UNSET
        else:
            last_failure_code = self.last_failure_code

        ipn_url: None | str | Unset
        if isinstance(self.ipn_url, Unset):
            ipn_url = UNSET
        else:
            ipn_url = self.ipn_url

        checkout_id: None | str | Unset
        if isinstance(self.checkout_id, Unset):
            checkout_id = UNSET
        else:
            checkout_id = self.checkout_id

        test_clock_id: None | str | Unset
        if isinstance(self.test_clock_id, Unset):
            test_clock_id = UNSET
        else:
            test_clock_id = self.test_clock_id

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
                "customerId": customer_id,
                "planId": plan_id,
                "siteId": site_id,
                "planName": plan_name,
                "amount": amount,
                "currency": currency,
                "interval": interval,
                "intervalCount": interval_count,
                "cancelAtPeriodEnd": cancel_at_period_end,
                "paymentMethod": payment_method,
                "failedAttempts": failed_attempts,
                "periodsPaid": periods_paid,
                "livemode": livemode,
            }
        )
        if current_period_start is not UNSET:
            field_dict["currentPeriodStart"] = current_period_start
        if current_period_end is not UNSET:
            field_dict["currentPeriodEnd"] = current_period_end
        if trial_start is not UNSET:
            field_dict["trialStart"] = trial_start
        if trial_end is not UNSET:
            field_dict["trialEnd"] = trial_end
        if canceled_at is not UNSET:
            field_dict["canceledAt"] = canceled_at
        if ended_at is not UNSET:
            field_dict["endedAt"] = ended_at
        if cancellation_details is not UNSET:
            field_dict["cancellationDetails"] = cancellation_details
        if latest_invoice_id is not UNSET:
            field_dict["latestInvoiceId"] = latest_invoice_id
        if next_charge_at is not UNSET:
            field_dict["nextChargeAt"] = next_charge_at
        if upcoming is not UNSET:
            field_dict["upcoming"] = upcoming
        if last_failure_code is not UNSET:
            field_dict["lastFailureCode"] = last_failure_code
        if ipn_url is not UNSET:
            field_dict["ipnUrl"] = ipn_url
        if checkout_id is not UNSET:
            field_dict["checkoutId"] = checkout_id
        if test_clock_id is not UNSET:
            field_dict["testClockId"] = test_clock_id
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.cancellation_details import CancellationDetails
        from ..models.upcoming_charge import UpcomingCharge

        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        status = SubscriptionStatus(d.pop("status"))

        customer_id = d.pop("customerId")

        plan_id = d.pop("planId")

        site_id = d.pop("siteId")

        plan_name = d.pop("planName")

        amount = d.pop("amount")

        currency = d.pop("currency")

        interval = d.pop("interval")

        interval_count = d.pop("intervalCount")

        cancel_at_period_end = d.pop("cancelAtPeriodEnd")

        payment_method = d.pop("paymentMethod")

        failed_attempts = d.pop("failedAttempts")

        periods_paid = d.pop("periodsPaid")

        livemode = d.pop("livemode")

        def _parse_current_period_start(
            data: object,
        ) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                current_period_start_type_0 = datetime.datetime.fromisoformat(data)

                return current_period_start_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        current_period_start = _parse_current_period_start(
            d.pop("currentPeriodStart", UNSET)
        )

        def _parse_current_period_end(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                current_period_end_type_0 = datetime.datetime.fromisoformat(data)

                return current_period_end_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        current_period_end = _parse_current_period_end(d.pop("currentPeriodEnd", UNSET))

        def _parse_trial_start(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                trial_start_type_0 = datetime.datetime.fromisoformat(data)

                return trial_start_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        trial_start = _parse_trial_start(d.pop("trialStart", UNSET))

        def _parse_trial_end(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                trial_end_type_0 = datetime.datetime.fromisoformat(data)

                return trial_end_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        trial_end = _parse_trial_end(d.pop("trialEnd", UNSET))

        def _parse_canceled_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                canceled_at_type_0 = datetime.datetime.fromisoformat(data)

                return canceled_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        canceled_at = _parse_canceled_at(d.pop("canceledAt", UNSET))

        def _parse_ended_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                ended_at_type_0 = datetime.datetime.fromisoformat(data)

                return ended_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        ended_at = _parse_ended_at(d.pop("endedAt", UNSET))

        def _parse_cancellation_details(
            data: object,
        ) -> CancellationDetails | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                cancellation_details_type_1 = CancellationDetails.from_dict(data)

                return cancellation_details_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CancellationDetails | None | Unset, data)

        cancellation_details = _parse_cancellation_details(
            d.pop("cancellationDetails", UNSET)
        )

        def _parse_latest_invoice_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        latest_invoice_id = _parse_latest_invoice_id(d.pop("latestInvoiceId", UNSET))

        def _parse_next_charge_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_charge_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_charge_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        next_charge_at = _parse_next_charge_at(d.pop("nextChargeAt", UNSET))

        def _parse_upcoming(data: object) -> None | Unset | UpcomingCharge:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                upcoming_type_1 = UpcomingCharge.from_dict(data)

                return upcoming_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UpcomingCharge, data)

        upcoming = _parse_upcoming(d.pop("upcoming", UNSET))

        def _parse_last_failure_code(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_failure_code = _parse_last_failure_code(d.pop("lastFailureCode", UNSET))

        def _parse_ipn_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ipn_url = _parse_ipn_url(d.pop("ipnUrl", UNSET))

        def _parse_checkout_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        checkout_id = _parse_checkout_id(d.pop("checkoutId", UNSET))

        def _parse_test_clock_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        test_clock_id = _parse_test_clock_id(d.pop("testClockId", UNSET))

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

        subscription = cls(
            id=id,
            object_=object_,
            status=status,
            customer_id=customer_id,
            plan_id=plan_id,
            site_id=site_id,
            plan_name=plan_name,
            amount=amount,
            currency=currency,
            interval=interval,
            interval_count=interval_count,
            cancel_at_period_end=cancel_at_period_end,
            payment_method=payment_method,
            failed_attempts=failed_attempts,
            periods_paid=periods_paid,
            livemode=livemode,
            current_period_start=current_period_start,
            current_period_end=current_period_end,
            trial_start=trial_start,
            trial_end=trial_end,
            canceled_at=canceled_at,
            ended_at=ended_at,
            cancellation_details=cancellation_details,
            latest_invoice_id=latest_invoice_id,
            next_charge_at=next_charge_at,
            upcoming=upcoming,
            last_failure_code=last_failure_code,
            ipn_url=ipn_url,
            checkout_id=checkout_id,
            test_clock_id=test_clock_id,
            created_at=created_at,
        )

        subscription.additional_properties = d
        return subscription

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
