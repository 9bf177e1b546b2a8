from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_refund_request import CreateRefundRequest
from ...models.error_body import ErrorBody
from ...models.refund import Refund
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    body: CreateRefundRequest | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/transactions/{id}/refunds".format(
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
) -> ErrorBody | Refund | None:
    if response.status_code == 201:
        response_201 = Refund.from_dict(response.json())

        return response_201

    if response.status_code == 202:
        response_202 = Refund.from_dict(response.json())

        return response_202

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 402:
        response_402 = ErrorBody.from_dict(response.json())

        return response_402

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

    if response.status_code == 502:
        response_502 = ErrorBody.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | Refund]:
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
    body: CreateRefundRequest | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[ErrorBody | Refund]:
    """Refund a transaction

     Needs an API key with the scope `transactions:write`, or a signed-in user whose role holds that
    permission.

    Never more than captured minus refunded. No body: everything still refundable.

    Args:
        id (str):
        idempotency_key (str | Unset):
        body (CreateRefundRequest | Unset): `POST /api/v1/transactions/{id}/refunds`. Example:
            {'amount': 1000, 'reason': 'requested_by_customer'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | Refund]
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
    body: CreateRefundRequest | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> ErrorBody | Refund | None:
    """Refund a transaction

     Needs an API key with the scope `transactions:write`, or a signed-in user whose role holds that
    permission.

    Never more than captured minus refunded. No body: everything still refundable.

    Args:
        id (str):
        idempotency_key (str | Unset):
        body (CreateRefundRequest | Unset): `POST /api/v1/transactions/{id}/refunds`. Example:
            {'amount': 1000, 'reason': 'requested_by_customer'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | Refund
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
    body: CreateRefundRequest | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[ErrorBody | Refund]:
    """Refund a transaction

     Needs an API key with the scope `transactions:write`, or a signed-in user whose role holds that
    permission.

    Never more than captured minus refunded. No body: everything still refundable.

    Args:
        id (str):
        idempotency_key (str | Unset):
        body (CreateRefundRequest | Unset): `POST /api/v1/transactions/{id}/refunds`. Example:
            {'amount': 1000, 'reason': 'requested_by_customer'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | Refund]
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
    body: CreateRefundRequest | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> ErrorBody | Refund | None:
    """Refund a transaction

     Needs an API key with the scope `transactions:write`, or a signed-in user whose role holds that
    permission.

    Never more than captured minus refunded. No body: everything still refundable.

    Args:
        id (str):
        idempotency_key (str | Unset):
        body (CreateRefundRequest | Unset): `POST /api/v1/transactions/{id}/refunds`. Example:
            {'amount': 1000, 'reason': 'requested_by_customer'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | Refund
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
