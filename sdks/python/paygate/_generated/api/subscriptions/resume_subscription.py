from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.resume_subscription_request import ResumeSubscriptionRequest
from ...models.subscription import Subscription
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    body: ResumeSubscriptionRequest | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/subscriptions/{id}/resume".format(
            id=quote(str(id), safe=""),
        ),
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | Subscription | None:
    if response.status_code == 200:
        response_200 = Subscription.from_dict(response.json())

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

    if response.status_code == 422:
        response_422 = ErrorBody.from_dict(response.json())

        return response_422

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
) -> Response[ErrorBody | Subscription]:
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
    body: ResumeSubscriptionRequest | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[ErrorBody | Subscription]:
    """Undo a pending cancel

     Needs an API key with the scope `subscriptions:write`, or a signed-in user whose role holds that
    permission.

    Only before the period ends, for a subscription set to cancel at period end; else 409.

    Args:
        id (str):
        idempotency_key (str | Unset):
        body (ResumeSubscriptionRequest | Unset): `POST /api/v1/subscriptions/{id}/resume`: no
            fields (an empty body or
            `{}`). Example: {}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | Subscription]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient,
    body: ResumeSubscriptionRequest | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> ErrorBody | Subscription | None:
    """Undo a pending cancel

     Needs an API key with the scope `subscriptions:write`, or a signed-in user whose role holds that
    permission.

    Only before the period ends, for a subscription set to cancel at period end; else 409.

    Args:
        id (str):
        idempotency_key (str | Unset):
        body (ResumeSubscriptionRequest | Unset): `POST /api/v1/subscriptions/{id}/resume`: no
            fields (an empty body or
            `{}`). Example: {}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | Subscription
    """

    return sync_detailed(
        id=id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    body: ResumeSubscriptionRequest | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[ErrorBody | Subscription]:
    """Undo a pending cancel

     Needs an API key with the scope `subscriptions:write`, or a signed-in user whose role holds that
    permission.

    Only before the period ends, for a subscription set to cancel at period end; else 409.

    Args:
        id (str):
        idempotency_key (str | Unset):
        body (ResumeSubscriptionRequest | Unset): `POST /api/v1/subscriptions/{id}/resume`: no
            fields (an empty body or
            `{}`). Example: {}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | Subscription]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient,
    body: ResumeSubscriptionRequest | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> ErrorBody | Subscription | None:
    """Undo a pending cancel

     Needs an API key with the scope `subscriptions:write`, or a signed-in user whose role holds that
    permission.

    Only before the period ends, for a subscription set to cancel at period end; else 409.

    Args:
        id (str):
        idempotency_key (str | Unset):
        body (ResumeSubscriptionRequest | Unset): `POST /api/v1/subscriptions/{id}/resume`: no
            fields (an empty body or
            `{}`). Example: {}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | Subscription
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
