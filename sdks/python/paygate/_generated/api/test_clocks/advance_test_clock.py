from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.test_clock import TestClock
from ...models.test_clock_request import TestClockRequest
from ...types import Response


def _get_kwargs(
    id: str,
    *,
    body: TestClockRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/test-clocks/{id}/advance".format(
            id=quote(str(id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | TestClock | None:
    if response.status_code == 200:
        response_200 = TestClock.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ErrorBody.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = ErrorBody.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = ErrorBody.from_dict(response.json())

        return response_415

    if response.status_code == 429:
        response_429 = ErrorBody.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorBody.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | TestClock]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    body: TestClockRequest,
) -> Response[ErrorBody | TestClock]:
    """Advance a test clock

     Needs an API key with the scope `subscriptions:write`, or a signed-in user whose role holds that
    permission.

    Moves the clock forward (at most three years) and runs, in time order, every trial end, renewal,
    dunning retry, expiry and cancellation due on its subscriptions, then answers `ready`. Advancing to
    the time it shows is a no-op, so a retry is safe; concurrent advances never charge a period twice.

    Args:
        id (str):
        body (TestClockRequest): `POST /api/v1/test-clocks` and `POST /api/v1/test-
            clocks/{id}/advance`. Example: {'frozenTime': '2026-01-01T00:00:00Z'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | TestClock]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient,
    body: TestClockRequest,
) -> ErrorBody | TestClock | None:
    """Advance a test clock

     Needs an API key with the scope `subscriptions:write`, or a signed-in user whose role holds that
    permission.

    Moves the clock forward (at most three years) and runs, in time order, every trial end, renewal,
    dunning retry, expiry and cancellation due on its subscriptions, then answers `ready`. Advancing to
    the time it shows is a no-op, so a retry is safe; concurrent advances never charge a period twice.

    Args:
        id (str):
        body (TestClockRequest): `POST /api/v1/test-clocks` and `POST /api/v1/test-
            clocks/{id}/advance`. Example: {'frozenTime': '2026-01-01T00:00:00Z'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | TestClock
    """

    return sync_detailed(
        id=id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    body: TestClockRequest,
) -> Response[ErrorBody | TestClock]:
    """Advance a test clock

     Needs an API key with the scope `subscriptions:write`, or a signed-in user whose role holds that
    permission.

    Moves the clock forward (at most three years) and runs, in time order, every trial end, renewal,
    dunning retry, expiry and cancellation due on its subscriptions, then answers `ready`. Advancing to
    the time it shows is a no-op, so a retry is safe; concurrent advances never charge a period twice.

    Args:
        id (str):
        body (TestClockRequest): `POST /api/v1/test-clocks` and `POST /api/v1/test-
            clocks/{id}/advance`. Example: {'frozenTime': '2026-01-01T00:00:00Z'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | TestClock]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient,
    body: TestClockRequest,
) -> ErrorBody | TestClock | None:
    """Advance a test clock

     Needs an API key with the scope `subscriptions:write`, or a signed-in user whose role holds that
    permission.

    Moves the clock forward (at most three years) and runs, in time order, every trial end, renewal,
    dunning retry, expiry and cancellation due on its subscriptions, then answers `ready`. Advancing to
    the time it shows is a no-op, so a retry is safe; concurrent advances never charge a period twice.

    Args:
        id (str):
        body (TestClockRequest): `POST /api/v1/test-clocks` and `POST /api/v1/test-
            clocks/{id}/advance`. Example: {'frozenTime': '2026-01-01T00:00:00Z'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | TestClock
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            body=body,
        )
    ).parsed
