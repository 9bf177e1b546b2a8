from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.tax_rule import TaxRule
from ...models.tax_rule_request import TaxRuleRequest
from ...types import Response


def _get_kwargs(
    *,
    body: TaxRuleRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/tax-rules",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | TaxRule | None:
    if response.status_code == 201:
        response_201 = TaxRule.from_dict(response.json())

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
) -> Response[ErrorBody | TaxRule]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: TaxRuleRequest,
) -> Response[ErrorBody | TaxRule]:
    """Create a tax rule

     Needs an API key with the scope `sites:write`, or a signed-in user whose role holds that permission.

    Args:
        body (TaxRuleRequest): `POST /api/v1/tax-rules` and `PUT /api/v1/tax-rules/{id}`. Example:
            {'country': 'DE', 'rateBps': 1900, 'name': 'DE standard', 'validFrom': '2026-01-01'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | TaxRule]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: TaxRuleRequest,
) -> ErrorBody | TaxRule | None:
    """Create a tax rule

     Needs an API key with the scope `sites:write`, or a signed-in user whose role holds that permission.

    Args:
        body (TaxRuleRequest): `POST /api/v1/tax-rules` and `PUT /api/v1/tax-rules/{id}`. Example:
            {'country': 'DE', 'rateBps': 1900, 'name': 'DE standard', 'validFrom': '2026-01-01'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | TaxRule
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: TaxRuleRequest,
) -> Response[ErrorBody | TaxRule]:
    """Create a tax rule

     Needs an API key with the scope `sites:write`, or a signed-in user whose role holds that permission.

    Args:
        body (TaxRuleRequest): `POST /api/v1/tax-rules` and `PUT /api/v1/tax-rules/{id}`. Example:
            {'country': 'DE', 'rateBps': 1900, 'name': 'DE standard', 'validFrom': '2026-01-01'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | TaxRule]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: TaxRuleRequest,
) -> ErrorBody | TaxRule | None:
    """Create a tax rule

     Needs an API key with the scope `sites:write`, or a signed-in user whose role holds that permission.

    Args:
        body (TaxRuleRequest): `POST /api/v1/tax-rules` and `PUT /api/v1/tax-rules/{id}`. Example:
            {'country': 'DE', 'rateBps': 1900, 'name': 'DE standard', 'validFrom': '2026-01-01'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | TaxRule
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
