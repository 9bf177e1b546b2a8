"""Typed resources of the asynchronous client (AsyncPaygate).

Generated from _resources.py by tools/unasync.py; do not edit.
"""

from __future__ import annotations

from typing import Any

from ._core import AsyncPager, AsyncTransport, Page, Request, drop_unset, page_caster
from ._generated.models.api_key import ApiKey
from ._generated.models.api_key_with_secret import ApiKeyWithSecret
from ._generated.models.checkout import Checkout
from ._generated.models.customer_record import CustomerRecord
from ._generated.models.ipn_delivery import IpnDelivery
from ._generated.models.plan import Plan
from ._generated.models.refund import Refund
from ._generated.models.site import Site
from ._generated.models.site_with_secret import SiteWithSecret
from ._generated.models.subscription import Subscription
from ._generated.models.tax_document import TaxDocument
from ._generated.models.transaction import Transaction


def _list(cls: Any, path: str, params: dict[str, Any]) -> Request[Page[Any]]:
    return Request("GET", path, page_caster(cls.from_dict), drop_unset(params))


class _Resource:
    def __init__(self, client: AsyncTransport) -> None:
        self._client = client


class Checkouts(_Resource):
    async def create(
        self, site_id: str, *, idempotency_key: str | None = None, **params: Any
    ) -> Checkout:
        """POST /checkouts/{site_id}/create, e.g. create(site, amount=1000, currency="EUR")."""
        return await self._client.request(
            Request(
                "POST",
                f"/checkouts/{site_id}/create",
                Checkout.from_dict,
                body=params,
                idempotency_key=idempotency_key,
            )
        )

    async def retrieve(self, checkout_id: str) -> Checkout:
        return await self._client.request(
            Request("GET", f"/checkouts/{checkout_id}", Checkout.from_dict)
        )

    def list(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        **filters: Any,
    ) -> AsyncPager[Checkout]:
        return AsyncPager(
            self._client,
            _list(
                Checkout,
                "/checkouts",
                {"limit": limit, "starting_after": starting_after, **filters},
            ),
        )


class Transactions(_Resource):
    async def retrieve(self, transaction_id: str) -> Transaction:
        return await self._client.request(
            Request("GET", f"/transactions/{transaction_id}", Transaction.from_dict)
        )

    def list(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        **filters: Any,
    ) -> AsyncPager[Transaction]:
        """Every transaction, newest first; iterating fetches further pages as needed."""
        return AsyncPager(
            self._client,
            _list(
                Transaction,
                "/transactions",
                {"limit": limit, "starting_after": starting_after, **filters},
            ),
        )

    async def capture(
        self,
        transaction_id: str,
        *,
        amount: int | None = None,
        idempotency_key: str | None = None,
    ) -> Transaction:
        return await self._client.request(
            Request(
                "POST",
                f"/transactions/{transaction_id}/capture",
                Transaction.from_dict,
                body=drop_unset({"amount": amount}),
                idempotency_key=idempotency_key,
            )
        )

    async def cancel(
        self, transaction_id: str, *, idempotency_key: str | None = None
    ) -> Transaction:
        return await self._client.request(
            Request(
                "POST",
                f"/transactions/{transaction_id}/cancel",
                Transaction.from_dict,
                body={},
                idempotency_key=idempotency_key,
            )
        )

    async def refund(
        self,
        transaction_id: str,
        *,
        amount: int | None = None,
        reason: str | None = None,
        idempotency_key: str | None = None,
    ) -> Refund:
        """Refunds `amount` (minor units), or everything not yet refunded when absent."""
        return await self._client.request(
            Request(
                "POST",
                f"/transactions/{transaction_id}/refunds",
                Refund.from_dict,
                body=drop_unset({"amount": amount, "reason": reason}),
                idempotency_key=idempotency_key,
            )
        )


class Sites(_Resource):
    async def create(
        self, *, name: str, idempotency_key: str | None = None, **params: Any
    ) -> SiteWithSecret:
        return await self._client.request(
            Request(
                "POST",
                "/sites",
                SiteWithSecret.from_dict,
                body={"name": name, **params},
                idempotency_key=idempotency_key,
            )
        )

    async def retrieve(self, site_id: str) -> Site:
        return await self._client.request(
            Request("GET", f"/sites/{site_id}", Site.from_dict)
        )

    async def update(
        self, site_id: str, *, idempotency_key: str | None = None, **params: Any
    ) -> Site:
        return await self._client.request(
            Request(
                "PATCH",
                f"/sites/{site_id}",
                Site.from_dict,
                body=params,
                idempotency_key=idempotency_key,
            )
        )

    async def rotate_secret(
        self, site_id: str, *, idempotency_key: str | None = None
    ) -> SiteWithSecret:
        return await self._client.request(
            Request(
                "POST",
                f"/sites/{site_id}/rotate-secret",
                SiteWithSecret.from_dict,
                body={},
                idempotency_key=idempotency_key,
            )
        )

    def list(
        self, *, limit: int | None = None, starting_after: str | None = None
    ) -> AsyncPager[Site]:
        return AsyncPager(
            self._client,
            _list(Site, "/sites", {"limit": limit, "starting_after": starting_after}),
        )


class ApiKeys(_Resource):
    async def create(
        self, *, name: str, idempotency_key: str | None = None, **params: Any
    ) -> ApiKeyWithSecret:
        return await self._client.request(
            Request(
                "POST",
                "/api-keys",
                ApiKeyWithSecret.from_dict,
                body={"name": name, **params},
                idempotency_key=idempotency_key,
            )
        )

    async def revoke(
        self, api_key_id: str, *, idempotency_key: str | None = None
    ) -> ApiKey:
        return await self._client.request(
            Request(
                "POST",
                f"/api-keys/{api_key_id}/revoke",
                ApiKey.from_dict,
                body={},
                idempotency_key=idempotency_key,
            )
        )

    def list(
        self, *, limit: int | None = None, starting_after: str | None = None
    ) -> AsyncPager[ApiKey]:
        return AsyncPager(
            self._client,
            _list(
                ApiKey, "/api-keys", {"limit": limit, "starting_after": starting_after}
            ),
        )


class Customers(_Resource):
    async def create(
        self, *, idempotency_key: str | None = None, **params: Any
    ) -> CustomerRecord:
        return await self._client.request(
            Request(
                "POST",
                "/customers",
                CustomerRecord.from_dict,
                body=params,
                idempotency_key=idempotency_key,
            )
        )

    async def retrieve(self, customer_id: str) -> CustomerRecord:
        return await self._client.request(
            Request("GET", f"/customers/{customer_id}", CustomerRecord.from_dict)
        )

    async def update(
        self, customer_id: str, *, idempotency_key: str | None = None, **params: Any
    ) -> CustomerRecord:
        return await self._client.request(
            Request(
                "PATCH",
                f"/customers/{customer_id}",
                CustomerRecord.from_dict,
                body=params,
                idempotency_key=idempotency_key,
            )
        )

    def list(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        **filters: Any,
    ) -> AsyncPager[CustomerRecord]:
        return AsyncPager(
            self._client,
            _list(
                CustomerRecord,
                "/customers",
                {"limit": limit, "starting_after": starting_after, **filters},
            ),
        )


class Plans(_Resource):
    async def create(
        self, *, idempotency_key: str | None = None, **params: Any
    ) -> Plan:
        return await self._client.request(
            Request(
                "POST",
                "/plans",
                Plan.from_dict,
                body=params,
                idempotency_key=idempotency_key,
            )
        )

    async def retrieve(self, plan_id: str) -> Plan:
        return await self._client.request(
            Request("GET", f"/plans/{plan_id}", Plan.from_dict)
        )

    async def update(
        self, plan_id: str, *, idempotency_key: str | None = None, **params: Any
    ) -> Plan:
        return await self._client.request(
            Request(
                "PATCH",
                f"/plans/{plan_id}",
                Plan.from_dict,
                body=params,
                idempotency_key=idempotency_key,
            )
        )

    def list(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        **filters: Any,
    ) -> AsyncPager[Plan]:
        return AsyncPager(
            self._client,
            _list(
                Plan,
                "/plans",
                {"limit": limit, "starting_after": starting_after, **filters},
            ),
        )


class Subscriptions(_Resource):
    async def create(
        self, *, idempotency_key: str | None = None, **params: Any
    ) -> Subscription:
        return await self._client.request(
            Request(
                "POST",
                "/subscriptions",
                Subscription.from_dict,
                body=params,
                idempotency_key=idempotency_key,
            )
        )

    async def retrieve(self, subscription_id: str) -> Subscription:
        return await self._client.request(
            Request("GET", f"/subscriptions/{subscription_id}", Subscription.from_dict)
        )

    async def update(
        self, subscription_id: str, *, idempotency_key: str | None = None, **params: Any
    ) -> Subscription:
        return await self._client.request(
            Request(
                "PATCH",
                f"/subscriptions/{subscription_id}",
                Subscription.from_dict,
                body=params,
                idempotency_key=idempotency_key,
            )
        )

    async def cancel(
        self, subscription_id: str, *, idempotency_key: str | None = None, **params: Any
    ) -> Subscription:
        return await self._client.request(
            Request(
                "POST",
                f"/subscriptions/{subscription_id}/cancel",
                Subscription.from_dict,
                body=params,
                idempotency_key=idempotency_key,
            )
        )

    async def resume(
        self, subscription_id: str, *, idempotency_key: str | None = None
    ) -> Subscription:
        return await self._client.request(
            Request(
                "POST",
                f"/subscriptions/{subscription_id}/resume",
                Subscription.from_dict,
                body={},
                idempotency_key=idempotency_key,
            )
        )

    def list(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        **filters: Any,
    ) -> AsyncPager[Subscription]:
        return AsyncPager(
            self._client,
            _list(
                Subscription,
                "/subscriptions",
                {"limit": limit, "starting_after": starting_after, **filters},
            ),
        )


class Invoices(_Resource):
    async def retrieve(self, invoice_id: str) -> TaxDocument:
        return await self._client.request(
            Request("GET", f"/invoices/{invoice_id}", TaxDocument.from_dict)
        )

    def list(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        **filters: Any,
    ) -> AsyncPager[TaxDocument]:
        return AsyncPager(
            self._client,
            _list(
                TaxDocument,
                "/invoices",
                {"limit": limit, "starting_after": starting_after, **filters},
            ),
        )


class IpnDeliveries(_Resource):
    async def resend(
        self, delivery_id: str, *, idempotency_key: str | None = None
    ) -> IpnDelivery:
        return await self._client.request(
            Request(
                "POST",
                f"/ipn-deliveries/{delivery_id}/resend",
                IpnDelivery.from_dict,
                body={},
                idempotency_key=idempotency_key,
            )
        )

    def list(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        **filters: Any,
    ) -> AsyncPager[IpnDelivery]:
        return AsyncPager(
            self._client,
            _list(
                IpnDelivery,
                "/ipn-deliveries",
                {"limit": limit, "starting_after": starting_after, **filters},
            ),
        )
