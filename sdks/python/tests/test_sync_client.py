"""The synchronous client against a running gateway, as a merchant's server uses it."""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Iterator

import pytest
from conftest import Gateway, IpnReceiver
from paygate import Page, Paygate, PaygateError, verify_ipn
from paygate.models import Checkout, Refund, Transaction


@pytest.fixture
def client(gateway: Gateway) -> Iterator[Paygate]:
    with Paygate(gateway.api_key, gateway.admin) as client:
        yield client


def wait_for_status(client: Paygate, transaction_id: str, status: str) -> Transaction:
    deadline = time.monotonic() + 20
    while True:
        transaction = client.transactions.retrieve(transaction_id)
        if transaction.status == status:
            return transaction
        assert time.monotonic() < deadline, (
            f"{transaction_id} stayed {transaction.status}"
        )
        time.sleep(0.1)


def test_checkout_idempotency_payment_and_partial_refund(
    client: Paygate, gateway: Gateway, ipn_receiver: IpnReceiver
) -> None:
    key = f"order-{uuid.uuid4()}"
    first = client.checkouts.create(
        gateway.site_id,
        amount=2500,
        currency="EUR",
        description="Sync SDK order",
        ipn_url=ipn_receiver.url,
        metadata={"order_id": "sync-1"},
        idempotency_key=key,
    )
    again = client.checkouts.create(
        gateway.site_id,
        amount=2500,
        currency="EUR",
        description="Sync SDK order",
        ipn_url=ipn_receiver.url,
        metadata={"order_id": "sync-1"},
        idempotency_key=key,
    )
    assert isinstance(first, Checkout)
    assert again.id == first.id
    assert first.status == "open"
    # metadata keys are the caller's own: never camel-cased.
    assert first.metadata.to_dict() == {"order_id": "sync-1"}
    matching = [c for c in client.checkouts.list(limit=100) if c.id == first.id]
    assert len(matching) == 1

    paid = gateway.pay(first.id)
    transaction = wait_for_status(client, paid["transactionId"], "succeeded")
    assert transaction.amount == 2500
    assert transaction.checkout_id == first.id

    refund = client.transactions.refund(
        transaction.id, amount=700, reason="requested_by_customer"
    )
    assert isinstance(refund, Refund)
    assert refund.amount == 700
    after = client.transactions.retrieve(transaction.id)
    assert after.amount_refunded == 700
    assert after.status == "succeeded"

    ipn = ipn_receiver.wait_for("transaction.succeeded")
    event = verify_ipn(ipn.body, ipn.headers, gateway.webhook_secret)
    assert event["data"]["transaction"]["id"] == transaction.id


def test_manual_capture_and_cancel(client: Paygate, gateway: Gateway) -> None:
    captured = client.checkouts.create(
        gateway.site_id, amount=1000, currency="EUR", capture_method="manual"
    )
    authorized = wait_for_status(
        client, gateway.pay(captured.id)["transactionId"], "requires_capture"
    )
    done = client.transactions.capture(authorized.id, amount=600)
    assert done.status == "succeeded"
    assert done.amount_captured == 600

    canceled = client.checkouts.create(
        gateway.site_id, amount=1000, currency="EUR", capture_method="manual"
    )
    held = wait_for_status(
        client, gateway.pay(canceled.id)["transactionId"], "requires_capture"
    )
    assert client.transactions.cancel(held.id).status == "canceled"


def test_transactions_iterate_across_pages(client: Paygate, gateway: Gateway) -> None:
    created = []
    for amount in (101, 102, 103):
        checkout = client.checkouts.create(
            gateway.site_id, amount=amount, currency="EUR"
        )
        created.append(
            wait_for_status(
                client, gateway.pay(checkout.id)["transactionId"], "succeeded"
            ).id
        )

    first_page = client.transactions.list(limit=2).first_page()
    assert isinstance(first_page, Page)
    assert len(first_page.data) == 2
    assert first_page.has_more

    pages = list(client.transactions.list(limit=2).pages())
    assert len(pages) >= 2
    assert all(len(page.data) <= 2 for page in pages)
    seen = [t.id for t in client.transactions.list(limit=2)]
    assert len(seen) == len(set(seen)) == sum(len(page.data) for page in pages)
    # Newest first: the three just made lead the list, in reverse order.
    assert seen[:3] == list(reversed(created))

    # Filters are typed values: a datetime is sent as RFC 3339, amounts as integers.
    since = client.transactions.retrieve(created[0]).created_at
    assert isinstance(since, datetime.datetime)
    recent = [
        t.id
        for t in client.transactions.list(limit=2, created_gte=since, amount_lte=103)
    ]
    assert recent == list(reversed(created))


def test_api_errors_are_typed(client: Paygate, gateway: Gateway) -> None:
    with pytest.raises(PaygateError) as raised:
        client.checkouts.create(gateway.site_id, amount=-5, currency="EUR")
    error = raised.value
    assert error.status == 400
    assert error.type == "invalid_request_error"
    assert error.code == "amount_invalid"
    assert error.param == "amount"
    assert error.message

    with pytest.raises(PaygateError) as missing:
        client.transactions.retrieve("txn_doesnotexist000000000000")
    assert missing.value.status == 404
    assert missing.value.code == "resource_missing"

    with (
        Paygate("sk_test_wrong", gateway.admin) as stranger,
        pytest.raises(PaygateError) as refused,
    ):
        stranger.sites.list().first_page()
    assert refused.value.status == 401


def test_resources_round_trip(client: Paygate, gateway: Gateway) -> None:
    customer = client.customers.create(email="ada@example.com", name="Ada Lovelace")
    assert client.customers.retrieve(customer.id).email == "ada@example.com"
    renamed = client.customers.update(customer.id, name="Ada King")
    assert renamed.name == "Ada King"

    plan = client.plans.create(
        name="Pro", amount=1900, currency="EUR", interval="month"
    )
    assert client.plans.retrieve(plan.id).amount == 1900
    subscription = client.subscriptions.create(
        customer_id=customer.id,
        plan_id=plan.id,
        site_id=gateway.site_id,
        payment_method="tok_visa",
    )
    assert subscription.plan_id == plan.id
    assert any(s.id == subscription.id for s in client.subscriptions.list())
    canceled = client.subscriptions.cancel(subscription.id, at_period_end=False)
    assert canceled.status == "canceled"

    site = client.sites.retrieve(gateway.site_id)
    assert site.id == gateway.site_id
    assert any(s.id == gateway.site_id for s in client.sites.list())

    key = client.api_keys.create(name="reporting", scopes=["transactions:read"])
    assert key.secret and key.secret.startswith("sk_test_")
    assert client.api_keys.revoke(key.id).id == key.id

    assert all(invoice.id for invoice in client.invoices.list(limit=5))
    assert all(delivery.id for delivery in client.ipn_deliveries.list(limit=5))
