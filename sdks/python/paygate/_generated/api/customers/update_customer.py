from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.customer_record import CustomerRecord
from ...models.customer_request import CustomerRequest
from ...models.error_body import ErrorBody
from ...types import Response


def _get_kwargs(
    id: str,
    *,
    body: CustomerRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/api/v1/customers/{id}".format(
            id=quote(str(id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CustomerRecord | ErrorBody | None:
    if response.status_code == 200:
        response_200 = CustomerRecord.from_dict(response.json())

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
) -> Response[CustomerRecord | ErrorBody]:
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
    body: CustomerRequest,
) -> Response[CustomerRecord | ErrorBody]:
    """Change a customer

     Needs an API key with the scope `customers:write`, or a signed-in user whose role holds that
    permission.

    Absent fields stay as they are; `metadata` replaces the whole map.

    Args:
        id (str):
        body (CustomerRequest): `POST /api/v1/customers`, and `PATCH /api/v1/customers/{id}`
            (absent
            fields stay as they are; `metadata` replaces the whole map). Example: {'email':
            'ada@example.com', 'name': 'Ada Lovelace', 'address': {'country': 'DE', 'city': 'Berlin'},
            'metadata': {'crmId': '42'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CustomerRecord | ErrorBody]
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
    body: CustomerRequest,
) -> CustomerRecord | ErrorBody | None:
    """Change a customer

     Needs an API key with the scope `customers:write`, or a signed-in user whose role holds that
    permission.

    Absent fields stay as they are; `metadata` replaces the whole map.

    Args:
        id (str):
        body (CustomerRequest): `POST /api/v1/customers`, and `PATCH /api/v1/customers/{id}`
            (absent
            fields stay as they are; `metadata` replaces the whole map). Example: {'email':
            'ada@example.com', 'name': 'Ada Lovelace', 'address': {'country': 'DE', 'city': 'Berlin'},
            'metadata': {'crmId': '42'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CustomerRecord | ErrorBody
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
    body: CustomerRequest,
) -> Response[CustomerRecord | ErrorBody]:
    """Change a customer

     Needs an API key with the scope `customers:write`, or a signed-in user whose role holds that
    permission.

    Absent fields stay as they are; `metadata` replaces the whole map.

    Args:
        id (str):
        body (CustomerRequest): `POST /api/v1/customers`, and `PATCH /api/v1/customers/{id}`
            (absent
            fields stay as they are; `metadata` replaces the whole map). Example: {'email':
            'ada@example.com', 'name': 'Ada Lovelace', 'address': {'country': 'DE', 'city': 'Berlin'},
            'metadata': {'crmId': '42'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CustomerRecord | ErrorBody]
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
    body: CustomerRequest,
) -> CustomerRecord | ErrorBody | None:
    """Change a customer

     Needs an API key with the scope `customers:write`, or a signed-in user whose role holds that
    permission.

    Absent fields stay as they are; `metadata` replaces the whole map.

    Args:
        id (str):
        body (CustomerRequest): `POST /api/v1/customers`, and `PATCH /api/v1/customers/{id}`
            (absent
            fields stay as they are; `metadata` replaces the whole map). Example: {'email':
            'ada@example.com', 'name': 'Ada Lovelace', 'address': {'country': 'DE', 'city': 'Berlin'},
            'metadata': {'crmId': '42'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CustomerRecord | ErrorBody
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            body=body,
        )
    ).parsed
