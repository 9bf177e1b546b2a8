"""Retries, idempotency keys and Retry-After, against a scripted HTTP transport."""

from __future__ import annotations

import email.utils
import time
import uuid

import httpx
import pytest
from paygate import AsyncPaygate, Paygate, PaygateError
from paygate._core import MAX_RETRY_DELAY, retry_after_seconds, retry_delay
from paygate.models import Checkout

CHECKOUT = {
    "id": "chk_1",
    "object": "checkout",
    "livemode": False,
    "organizationId": "org_1",
    "siteId": "site_1",
    "status": "open",
    "amount": 100,
    "currency": "EUR",
    "description": "",
    "lineItems": [],
    "captureMethod": "automatic",
    "metadata": {},
    "paymentUrl": "http://x/chk_1",
    "mode": "payment",
    "trialDays": 0,
}


def error(
    status: int, code: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    body = {"error": {"type": "api_error", "code": code, "message": code}}
    return httpx.Response(status, json=body, headers=headers)


class Script:
    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def sync_client(
    script: Script, sleeps: list[float], *, auto_idempotency: bool = True
) -> Paygate:
    client = Paygate(
        "sk_test_x",
        "http://gateway.test/",
        http_client=httpx.Client(transport=httpx.MockTransport(script)),
        auto_idempotency=auto_idempotency,
    )
    client._transport.sleep = sleeps.append
    return client


def create(client: Paygate, idempotency_key: str | None = None) -> Checkout:
    return client.checkouts.create(
        "site_1", amount=100, currency="EUR", idempotency_key=idempotency_key
    )


def test_post_gets_a_uuid_idempotency_key_kept_across_retries() -> None:
    script = Script(
        error(409, "idempotency_request_in_progress"),
        error(503, "overloaded"),
        httpx.Response(201, json=CHECKOUT),
    )
    sleeps: list[float] = []
    checkout = create(sync_client(script, sleeps))
    assert checkout.id == "chk_1"
    keys = {request.headers["Idempotency-Key"] for request in script.requests}
    assert len(script.requests) == 3 and len(keys) == 1
    uuid.UUID(keys.pop(), version=4)
    assert len(sleeps) == 2
    first = script.requests[0]
    assert first.url == "http://gateway.test/api/v1/checkouts/site_1/create"
    assert first.headers["Authorization"] == "Bearer sk_test_x"


def test_given_key_is_sent_as_is() -> None:
    script = Script(httpx.Response(201, json=CHECKOUT))
    create(sync_client(script, []), idempotency_key="order-7")
    assert script.requests[0].headers["Idempotency-Key"] == "order-7"


def test_unkeyed_post_is_never_retried() -> None:
    for answer in (
        error(500, "internal_error"),
        error(429, "rate_limited", {"Retry-After": "1"}),
    ):
        script = Script(answer)
        with pytest.raises(PaygateError) as raised:
            create(sync_client(script, [], auto_idempotency=False))
        assert raised.value.status == answer.status_code and len(script.requests) == 1
        assert "Idempotency-Key" not in script.requests[0].headers


def test_429_waits_retry_after() -> None:
    script = Script(
        error(429, "rate_limited", {"Retry-After": "2"}),
        httpx.Response(201, json=CHECKOUT),
    )
    sleeps: list[float] = []
    create(sync_client(script, sleeps))
    assert sleeps == [2.0]
    # A GET is retried too.
    script = Script(
        error(429, "rate_limited", {"Retry-After": "1"}),
        httpx.Response(200, json=CHECKOUT),
    )
    sleeps = []
    assert sync_client(script, sleeps).checkouts.retrieve("chk_1").id == "chk_1"
    assert sleeps == [1.0]


def test_other_409s_and_4xx_are_not_retried() -> None:
    script = Script(error(409, "transaction_state_invalid"))
    with pytest.raises(PaygateError) as raised:
        create(sync_client(script, []))
    assert (
        raised.value.code == "transaction_state_invalid" and len(script.requests) == 1
    )


def test_get_retries_network_failures_then_gives_up() -> None:
    failure = httpx.ConnectError("refused")
    script = Script(failure, failure, failure, failure)
    sleeps: list[float] = []
    with pytest.raises(PaygateError) as raised:
        sync_client(script, sleeps).checkouts.retrieve("chk_1")
    assert raised.value.status == 0
    assert len(script.requests) == 4 and len(sleeps) == 3


def test_backoff_grows_with_jitter_and_honours_retry_after_dates() -> None:
    for attempt in range(6):
        ceiling = min(MAX_RETRY_DELAY, 0.25 * 2**attempt)
        delays = {retry_delay(attempt, None) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1
    later = email.utils.formatdate(time.time() + 5, usegmt=True)
    assert 3 <= (retry_after_seconds(later) or 0) <= 5
    assert retry_after_seconds("soon") is None
    capped = httpx.Response(429, headers={"Retry-After": "86400"})
    assert retry_delay(0, capped) == MAX_RETRY_DELAY


async def test_async_client_retries_alike() -> None:
    script = Script(error(502, "bad_gateway"), httpx.Response(201, json=CHECKOUT))
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = AsyncPaygate(
        "sk_test_x",
        "http://gateway.test",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(script)),
    )
    client._transport.sleep = sleep
    checkout = await client.checkouts.create(
        "site_1", amount=100, currency="EUR", line_items=[{"name": "A", "unit_x": 1}]
    )
    assert checkout.id == "chk_1"
    assert len(sleeps) == 1 and len(script.requests) == 2
    # Nested keyword names are camel-cased like the top-level ones.
    assert b'"lineItems":[{"name":"A","unitX":1}]' in script.requests[
        0
    ].content.replace(b" ", b"")
    await client.close()


def test_paging_follows_starting_after() -> None:
    def page(ids: list[str], more: bool) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "object": "list",
                "data": [dict(CHECKOUT, id=i) for i in ids],
                "hasMore": more,
            },
        )

    script = Script(page(["chk_3", "chk_2"], True), page(["chk_1"], False))
    client = sync_client(script, [])
    assert [c.id for c in client.checkouts.list(limit=2)] == ["chk_3", "chk_2", "chk_1"]
    assert "startingAfter" not in script.requests[0].url.params
    assert script.requests[1].url.params["startingAfter"] == "chk_2"
    assert script.requests[1].url.params["limit"] == "2"
