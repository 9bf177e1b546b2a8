from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.checkout import Checkout
from ...models.create_checkout_request import CreateCheckoutRequest
from ...models.error_body import ErrorBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    site_id: str,
    *,
    body: CreateCheckoutRequest,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/checkouts/{site_id}/create".format(
            site_id=quote(str(site_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Checkout | ErrorBody | None:
    if response.status_code == 201:
        response_201 = Checkout.from_dict(response.json())

        return response_201

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
) -> Response[Checkout | ErrorBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    site_id: str,
    *,
    client: AuthenticatedClient,
    body: CreateCheckoutRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[Checkout | ErrorBody]:
    """Create a checkout

     Needs an API key with the scope `checkout:create`, or a signed-in user whose role holds that
    permission.

    Args:
        site_id (str):
        idempotency_key (str | Unset):
        body (CreateCheckoutRequest): `POST /api/v1/checkouts/{siteId}/create`. Example:
            {'amount': 11900, 'currency': 'EUR', 'description': 'Pro plan', 'customer': {'email':
            'a@example.com', 'name': 'Ada', 'vatId': 'DE123456789', 'address': {'country': 'DE',
            'line1': 'Hauptstr. 1', 'city': 'Berlin', 'postalCode': '10115'}}, 'lineItems': [{'name':
            'Pro plan', 'quantity': 1, 'amount': 11900}], 'captureMethod': 'automatic', 'ipnUrl':
            'https://merchant.example/ipn', 'successUrl': 'https://merchant.example/thanks',
            'cancelUrl': 'https://merchant.example/cart', 'metadata': {'orderId': '1234'},
            'expiresInSeconds': 3600}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Checkout | ErrorBody]
    """

    kwargs = _get_kwargs(
        site_id=site_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    site_id: str,
    *,
    client: AuthenticatedClient,
    body: CreateCheckoutRequest,
    idempotency_key: str | Unset = UNSET,
) -> Checkout | ErrorBody | None:
    """Create a checkout

     Needs an API key with the scope `checkout:create`, or a signed-in user whose role holds that
    permission.

    Args:
        site_id (str):
        idempotency_key (str | Unset):
        body (CreateCheckoutRequest): `POST /api/v1/checkouts/{siteId}/create`. Example:
            {'amount': 11900, 'currency': 'EUR', 'description': 'Pro plan', 'customer': {'email':
            'a@example.com', 'name': 'Ada', 'vatId': 'DE123456789', 'address': {'country': 'DE',
            'line1': 'Hauptstr. 1', 'city': 'Berlin', 'postalCode': '10115'}}, 'lineItems': [{'name':
            'Pro plan', 'quantity': 1, 'amount': 11900}], 'captureMethod': 'automatic', 'ipnUrl':
            'https://merchant.example/ipn', 'successUrl': 'https://merchant.example/thanks',
            'cancelUrl': 'https://merchant.example/cart', 'metadata': {'orderId': '1234'},
            'expiresInSeconds': 3600}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Checkout | ErrorBody
    """

    return sync_detailed(
        site_id=site_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    site_id: str,
    *,
    client: AuthenticatedClient,
    body: CreateCheckoutRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[Checkout | ErrorBody]:
    """Create a checkout

     Needs an API key with the scope `checkout:create`, or a signed-in user whose role holds that
    permission.

    Args:
        site_id (str):
        idempotency_key (str | Unset):
        body (CreateCheckoutRequest): `POST /api/v1/checkouts/{siteId}/create`. Example:
            {'amount': 11900, 'currency': 'EUR', 'description': 'Pro plan', 'customer': {'email':
            'a@example.com', 'name': 'Ada', 'vatId': 'DE123456789', 'address': {'country': 'DE',
            'line1': 'Hauptstr. 1', 'city': 'Berlin', 'postalCode': '10115'}}, 'lineItems': [{'name':
            'Pro plan', 'quantity': 1, 'amount': 11900}], 'captureMethod': 'automatic', 'ipnUrl':
            'https://merchant.example/ipn', 'successUrl': 'https://merchant.example/thanks',
            'cancelUrl': 'https://merchant.example/cart', 'metadata': {'orderId': '1234'},
            'expiresInSeconds': 3600}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Checkout | ErrorBody]
    """

    kwargs = _get_kwargs(
        site_id=site_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    site_id: str,
    *,
    client: AuthenticatedClient,
    body: CreateCheckoutRequest,
    idempotency_key: str | Unset = UNSET,
) -> Checkout | ErrorBody | None:
    """Create a checkout

     Needs an API key with the scope `checkout:create`, or a signed-in user whose role holds that
    permission.

    Args:
        site_id (str):
        idempotency_key (str | Unset):
        body (CreateCheckoutRequest): `POST /api/v1/checkouts/{siteId}/create`. Example:
            {'amount': 11900, 'currency': 'EUR', 'description': 'Pro plan', 'customer': {'email':
            'a@example.com', 'name': 'Ada', 'vatId': 'DE123456789', 'address': {'country': 'DE',
            'line1': 'Hauptstr. 1', 'city': 'Berlin', 'postalCode': '10115'}}, 'lineItems': [{'name':
            'Pro plan', 'quantity': 1, 'amount': 11900}], 'captureMethod': 'automatic', 'ipnUrl':
            'https://merchant.example/ipn', 'successUrl': 'https://merchant.example/thanks',
            'cancelUrl': 'https://merchant.example/cart', 'metadata': {'orderId': '1234'},
            'expiresInSeconds': 3600}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Checkout | ErrorBody
    """

    return (
        await asyncio_detailed(
            site_id=site_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
