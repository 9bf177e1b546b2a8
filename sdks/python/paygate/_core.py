"""Transport shared by the sync and async clients: request building, retries, errors, paging."""

from __future__ import annotations

import datetime
import email.utils
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from ._version import __version__

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3
# Retry-After can ask for hours (a closed checkout); a client call never sleeps longer than this.
MAX_RETRY_DELAY = 30.0
_MUTATING = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# Keys whose values are the caller's own data: their keys are never camel-cased.
_OPAQUE_KEYS = frozenset({"metadata"})


class PaygateError(Exception):
    """An error answer of the Paygate API (or a network failure, with status 0)."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.headers = dict(headers or {})
        self.body = body

    def __str__(self) -> str:
        where = f" (param {self.param})" if self.param else ""
        return f"{self.status} {self.type}/{self.code}: {self.message}{where}"

    @classmethod
    def from_response(cls, response: httpx.Response) -> PaygateError:
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return cls(
                f"unexpected HTTP {response.status_code} answer",
                status=response.status_code,
                headers=response.headers,
                body=body,
            )
        return cls(
            str(error.get("message", "")),
            status=response.status_code,
            type=error.get("type"),
            code=error.get("code"),
            param=error.get("param"),
            headers=response.headers,
            body=body,
        )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def to_wire(value: Any) -> Any:
    """snake_case keyword names → the API's camelCase JSON, leaving metadata keys alone."""
    if isinstance(value, Mapping):
        return {
            _camel(str(key)): (item if key in _OPAQUE_KEYS else to_wire(item))
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [to_wire(item) for item in value]
    if hasattr(value, "to_dict"):  # a generated model instance
        return value.to_dict()
    return value


def drop_unset(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


@dataclass
class Request(Generic[T]):
    method: str
    path: str
    cast: Callable[[Any], T]
    params: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    idempotency_key: str | None = None


class _Config:
    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        timeout: float,
        max_retries: int,
        auto_idempotency: bool,
        mode: str | None,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is required")
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.auto_idempotency = auto_idempotency
        self.mode = mode

    def build(self, request: Request[Any]) -> tuple[dict[str, str], dict[str, Any]]:
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "User-Agent": f"paygate-python/{__version__}",
        }
        if self.mode:
            headers["Paygate-Mode"] = self.mode
        key = request.idempotency_key
        if key is None and self.auto_idempotency and request.method in _MUTATING:
            key = str(uuid.uuid4())
        if key:
            headers["Idempotency-Key"] = key
        kwargs: dict[str, Any] = {
            "params": {
                _camel(k): _query_value(v)
                for k, v in request.params.items()
                if v is not None
            }
        }
        if request.body is not None or request.method in {"POST", "PATCH", "PUT"}:
            kwargs["json"] = to_wire(request.body or {})
        return headers, kwargs

    def url(self, path: str) -> str:
        return f"{self.base_url}/api/v1{path}"


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError("datetime filters need a time zone (RFC 3339)")
        return value.isoformat().replace("+00:00", "Z")
    return value


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def retry_delay(attempt: int, response: httpx.Response | None) -> float:
    """Exponential back-off with jitter, unless the server said how long to wait."""
    if response is not None:
        told = retry_after_seconds(response.headers.get("Retry-After"))
        if told is not None:
            return min(told, MAX_RETRY_DELAY)
    ceiling = min(MAX_RETRY_DELAY, 0.25 * float(2**attempt))
    # "Equal jitter": never less than half the back-off, so retries still spread out.
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def should_retry(method: str, keyed: bool, response: httpx.Response | None) -> bool:
    """Only requests that are safe to repeat are retried: GETs and calls with an Idempotency-Key.

    A network failure (response None) or a 5xx may have taken effect, and a call without a key
    cannot tell, so it is never repeated: its caller decides.
    """
    if not (method == "GET" or keyed):
        return False
    if response is None:
        return True
    status = response.status_code
    if status == 409:
        return _error_code(response) == "idempotency_request_in_progress"
    return status == 429 or status >= 500


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


def finish(request: Request[T], response: httpx.Response) -> T:
    if response.status_code >= 400:
        raise PaygateError.from_response(response)
    return request.cast(response.json() if response.content else None)


class SyncTransport:
    def __init__(self, config: _Config, http: httpx.Client | None) -> None:
        self.config = config
        self.http = http or httpx.Client(timeout=config.timeout)
        self.sleep: Callable[[float], None] = time.sleep

    def request(self, request: Request[T]) -> T:
        headers, kwargs = self.config.build(request)
        keyed = "Idempotency-Key" in headers
        attempt = 0
        while True:
            response: httpx.Response | None = None
            try:
                response = self.http.request(
                    request.method,
                    self.config.url(request.path),
                    headers=headers,
                    **kwargs,
                )
            except httpx.TransportError as error:
                if attempt >= self.config.max_retries or not should_retry(
                    request.method, keyed, None
                ):
                    raise PaygateError(f"network error: {error}") from error
            else:
                if attempt >= self.config.max_retries or not should_retry(
                    request.method, keyed, response
                ):
                    return finish(request, response)
            self.sleep(retry_delay(attempt, response))
            attempt += 1

    def close(self) -> None:
        self.http.close()


class AsyncTransport:
    def __init__(self, config: _Config, http: httpx.AsyncClient | None) -> None:
        import asyncio

        self.config = config
        self.http = http or httpx.AsyncClient(timeout=config.timeout)
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def request(self, request: Request[T]) -> T:
        headers, kwargs = self.config.build(request)
        keyed = "Idempotency-Key" in headers
        attempt = 0
        while True:
            response: httpx.Response | None = None
            try:
                response = await self.http.request(
                    request.method,
                    self.config.url(request.path),
                    headers=headers,
                    **kwargs,
                )
            except httpx.TransportError as error:
                if attempt >= self.config.max_retries or not should_retry(
                    request.method, keyed, None
                ):
                    raise PaygateError(f"network error: {error}") from error
            else:
                if attempt >= self.config.max_retries or not should_retry(
                    request.method, keyed, response
                ):
                    return finish(request, response)
            await self.sleep(retry_delay(attempt, response))
            attempt += 1

    async def close(self) -> None:
        await self.http.aclose()


@dataclass
class Page(Generic[T]):
    data: list[T]
    has_more: bool


def page_caster(item: Callable[[Any], T]) -> Callable[[Any], Page[T]]:
    def cast(body: Any) -> Page[T]:
        return Page([item(entry) for entry in body["data"]], bool(body["hasMore"]))

    return cast


class SyncPager(Generic[T]):
    """Every item of a list, fetching the next page (startingAfter = last id) as needed."""

    def __init__(self, transport: SyncTransport, request: Request[Page[T]]) -> None:
        self._transport = transport
        self._request = request

    def pages(self) -> Iterator[Page[T]]:
        params = dict(self._request.params)
        while True:
            page = self._transport.request(
                Request(
                    self._request.method, self._request.path, self._request.cast, params
                )
            )
            yield page
            if not page.has_more or not page.data:
                return
            params["starting_after"] = _last_id(page)

    def first_page(self) -> Page[T]:
        return next(iter(self.pages()))

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.data


class AsyncPager(Generic[T]):
    """`async for` over every item of a list, fetching pages as needed."""

    def __init__(self, transport: AsyncTransport, request: Request[Page[T]]) -> None:
        self._transport = transport
        self._request = request

    async def pages(self) -> AsyncIterator[Page[T]]:
        params = dict(self._request.params)
        while True:
            page = await self._transport.request(
                Request(
                    self._request.method, self._request.path, self._request.cast, params
                )
            )
            yield page
            if not page.has_more or not page.data:
                return
            params["starting_after"] = _last_id(page)

    async def first_page(self) -> Page[T]:
        async for page in self.pages():
            return page
        raise AssertionError("pages() always yields")

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.data:
                yield item


def _last_id(page: Page[Any]) -> str:
    last = page.data[-1]
    return str(last["id"] if isinstance(last, Mapping) else last.id)
