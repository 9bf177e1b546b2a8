"""The asynchronous client against a running gateway."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from conftest import Gateway, IpnReceiver
from paygate import AsyncPaygate, PaygateError, verify_ipn
from paygate.models import Transaction


async def wait_for_status(
    client: AsyncPaygate, transaction_id: str, status: str
) -> Transaction:
    deadline = time.monotonic() + 20
    while True:
        transaction = await client.transactions.retrieve(transaction_id)
        if transaction.status == status:
            return transaction
        assert time.monotonic() < deadline, (
            f"{transaction_id} stayed {transaction.status}"
        )
        await asyncio.sleep(0.1)


async def pay(gateway: Gateway, checkout_id: str) -> str:
    paid = await asyncio.to_thread(gateway.pay, checkout_id)
    return paid["transactionId"]


async def test_checkout_payment_refund_and_ipn(
    gateway: Gateway, ipn_receiver: IpnReceiver
) -> None:
    async with AsyncPaygate(gateway.api_key, gateway.admin) as client:
        key = f"order-{uuid.uuid4()}"
        body = {"amount": 4200, "currency": "EUR", "ipn_url": ipn_receiver.url}
        first, again = await asyncio.gather(
            client.checkouts.create(gateway.site_id, idempotency_key=key, **body),
            client.checkouts.create(gateway.site_id, idempotency_key=key, **body),
        )
        # Concurrent twins: one runs; the other replays it, retrying while it is still in progress.
        assert first.id == again.id
        assert (await client.checkouts.retrieve(first.id)).amount == 4200

        transaction = await wait_for_status(
            client, await pay(gateway, first.id), "succeeded"
        )
        refund = await client.transactions.refund(transaction.id, amount=1200)
        assert refund.amount == 1200
        assert (
            await client.transactions.retrieve(transaction.id)
        ).amount_refunded == 1200

        ipn = await asyncio.to_thread(ipn_receiver.wait_for, "transaction.refunded")
        event = verify_ipn(ipn.body, ipn.headers, gateway.webhook_secret)
        assert event["data"]["transaction"]["id"] == transaction.id


async def test_async_for_pages_through_transactions(gateway: Gateway) -> None:
    async with AsyncPaygate(gateway.api_key, gateway.admin) as client:
        created = []
        for amount in (201, 202, 203):
            checkout = await client.checkouts.create(
                gateway.site_id, amount=amount, currency="EUR"
            )
            paid = await wait_for_status(
                client, await pay(gateway, checkout.id), "succeeded"
            )
            created.append(paid.id)

        pages = [page async for page in client.transactions.list(limit=2).pages()]
        assert len(pages) >= 2
        assert pages[0].has_more and len(pages[0].data) == 2
        seen = [t.id async for t in client.transactions.list(limit=2)]
        assert len(seen) == len(set(seen)) == sum(len(page.data) for page in pages)
        assert seen[:3] == list(reversed(created))
        assert (await client.transactions.list(limit=2).first_page()).data[
            0
        ].id == created[-1]


async def test_async_errors_are_typed(gateway: Gateway) -> None:
    async with AsyncPaygate(gateway.api_key, gateway.admin) as client:
        with pytest.raises(PaygateError) as raised:
            await client.checkouts.create(gateway.site_id, amount=100, currency="EURO")
        assert raised.value.status == 400
        assert raised.value.code == "currency_invalid"
        assert raised.value.param == "currency"

        with pytest.raises(PaygateError) as unknown:
            await client.checkouts.create(
                gateway.site_id, amount=100, currency="EUR", colour="red"
            )
        assert unknown.value.code == "parameter_unknown"
        assert unknown.value.param == "colour"
