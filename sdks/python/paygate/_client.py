"""Paygate (synchronous) and AsyncPaygate: the Admin API with an organization API key."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import httpx

from . import _async_resources as aio
from . import _resources as sync
from ._core import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AsyncTransport,
    SyncTransport,
    _Config,
)


class Paygate:
    """client = Paygate("sk_test_…", "https://admin.pay.example"); client.checkouts.create(…)

    POST/PATCH/DELETE calls carry a fresh Idempotency-Key (uuid4) unless one is given, so a
    retried call never acts twice; `auto_idempotency=False` sends none (and then a 5xx or a
    network failure on such a call is not retried).
    """

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        auto_idempotency: bool = True,
        mode: str | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        config = _Config(
            api_key,
            base_url,
            timeout=timeout,
            max_retries=max_retries,
            auto_idempotency=auto_idempotency,
            mode=mode,
        )
        self._transport = SyncTransport(config, http_client)
        self.checkouts = sync.Checkouts(self._transport)
        self.transactions = sync.Transactions(self._transport)
        self.sites = sync.Sites(self._transport)
        self.api_keys = sync.ApiKeys(self._transport)
        self.customers = sync.Customers(self._transport)
        self.plans = sync.Plans(self._transport)
        self.subscriptions = sync.Subscriptions(self._transport)
        self.invoices = sync.Invoices(self._transport)
        self.ipn_deliveries = sync.IpnDeliveries(self._transport)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class AsyncPaygate:
    """The same resources as Paygate; await every call, and `async for` over lists."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        auto_idempotency: bool = True,
        mode: str | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        config = _Config(
            api_key,
            base_url,
            timeout=timeout,
            max_retries=max_retries,
            auto_idempotency=auto_idempotency,
            mode=mode,
        )
        self._transport = AsyncTransport(config, http_client)
        self.checkouts = aio.Checkouts(self._transport)
        self.transactions = aio.Transactions(self._transport)
        self.sites = aio.Sites(self._transport)
        self.api_keys = aio.ApiKeys(self._transport)
        self.customers = aio.Customers(self._transport)
        self.plans = aio.Plans(self._transport)
        self.subscriptions = aio.Subscriptions(self._transport)
        self.invoices = aio.Invoices(self._transport)
        self.ipn_deliveries = aio.IpnDeliveries(self._transport)

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()
