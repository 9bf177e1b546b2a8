import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.export_transactions_status import ExportTransactionsStatus
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    site_id: str | Unset = UNSET,
    status: ExportTransactionsStatus | Unset = UNSET,
    created_gte: datetime.datetime | Unset = UNSET,
    created_lte: datetime.datetime | Unset = UNSET,
    amount_gte: int | Unset = UNSET,
    amount_lte: int | Unset = UNSET,
    customer_email: str | Unset = UNSET,
    currency: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["siteId"] = site_id

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    json_created_gte: str | Unset = UNSET
    if not isinstance(created_gte, Unset):
        json_created_gte = created_gte.isoformat()
    params["createdGte"] = json_created_gte

    json_created_lte: str | Unset = UNSET
    if not isinstance(created_lte, Unset):
        json_created_lte = created_lte.isoformat()
    params["createdLte"] = json_created_lte

    params["amountGte"] = amount_gte

    params["amountLte"] = amount_lte

    params["customerEmail"] = customer_email

    params["currency"] = currency

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/transactions/export.csv",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | str | None:
    if response.status_code == 200:
        response_200 = response.text
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
) -> Response[ErrorBody | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    site_id: str | Unset = UNSET,
    status: ExportTransactionsStatus | Unset = UNSET,
    created_gte: datetime.datetime | Unset = UNSET,
    created_lte: datetime.datetime | Unset = UNSET,
    amount_gte: int | Unset = UNSET,
    amount_lte: int | Unset = UNSET,
    customer_email: str | Unset = UNSET,
    currency: str | Unset = UNSET,
) -> Response[ErrorBody | str]:
    """Export transactions as CSV

     Needs an API key with the scope `transactions:read`, or a signed-in user whose role holds that
    permission.

    Every transaction matching the filters, newest first, at most 10,000 rows (`Export-Truncated` says
    when more matched). Columns: `id`, `created` (RFC 3339, UTC), `status`, `amount` (minor units),
    `currency`, `amount_decimal` (the amount with the currency's decimals), `customer_email`, `site_id`,
    `checkout_id`, `amount_refunded` (minor units), `provider`. A text cell starting with `=`, `+`, `-`
    or `@` gets a leading `'` so spreadsheets do not run it.

    Args:
        site_id (str | Unset):
        status (ExportTransactionsStatus | Unset):
        created_gte (datetime.datetime | Unset):
        created_lte (datetime.datetime | Unset):
        amount_gte (int | Unset):
        amount_lte (int | Unset):
        customer_email (str | Unset):
        currency (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | str]
    """

    kwargs = _get_kwargs(
        site_id=site_id,
        status=status,
        created_gte=created_gte,
        created_lte=created_lte,
        amount_gte=amount_gte,
        amount_lte=amount_lte,
        customer_email=customer_email,
        currency=currency,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    site_id: str | Unset = UNSET,
    status: ExportTransactionsStatus | Unset = UNSET,
    created_gte: datetime.datetime | Unset = UNSET,
    created_lte: datetime.datetime | Unset = UNSET,
    amount_gte: int | Unset = UNSET,
    amount_lte: int | Unset = UNSET,
    customer_email: str | Unset = UNSET,
    currency: str | Unset = UNSET,
) -> ErrorBody | str | None:
    """Export transactions as CSV

     Needs an API key with the scope `transactions:read`, or a signed-in user whose role holds that
    permission.

    Every transaction matching the filters, newest first, at most 10,000 rows (`Export-Truncated` says
    when more matched). Columns: `id`, `created` (RFC 3339, UTC), `status`, `amount` (minor units),
    `currency`, `amount_decimal` (the amount with the currency's decimals), `customer_email`, `site_id`,
    `checkout_id`, `amount_refunded` (minor units), `provider`. A text cell starting with `=`, `+`, `-`
    or `@` gets a leading `'` so spreadsheets do not run it.

    Args:
        site_id (str | Unset):
        status (ExportTransactionsStatus | Unset):
        created_gte (datetime.datetime | Unset):
        created_lte (datetime.datetime | Unset):
        amount_gte (int | Unset):
        amount_lte (int | Unset):
        customer_email (str | Unset):
        currency (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | str
    """

    return sync_detailed(
        client=client,
        site_id=site_id,
        status=status,
        created_gte=created_gte,
        created_lte=created_lte,
        amount_gte=amount_gte,
        amount_lte=amount_lte,
        customer_email=customer_email,
        currency=currency,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    site_id: str | Unset = UNSET,
    status: ExportTransactionsStatus | Unset = UNSET,
    created_gte: datetime.datetime | Unset = UNSET,
    created_lte: datetime.datetime | Unset = UNSET,
    amount_gte: int | Unset = UNSET,
    amount_lte: int | Unset = UNSET,
    customer_email: str | Unset = UNSET,
    currency: str | Unset = UNSET,
) -> Response[ErrorBody | str]:
    """Export transactions as CSV

     Needs an API key with the scope `transactions:read`, or a signed-in user whose role holds that
    permission.

    Every transaction matching the filters, newest first, at most 10,000 rows (`Export-Truncated` says
    when more matched). Columns: `id`, `created` (RFC 3339, UTC), `status`, `amount` (minor units),
    `currency`, `amount_decimal` (the amount with the currency's decimals), `customer_email`, `site_id`,
    `checkout_id`, `amount_refunded` (minor units), `provider`. A text cell starting with `=`, `+`, `-`
    or `@` gets a leading `'` so spreadsheets do not run it.

    Args:
        site_id (str | Unset):
        status (ExportTransactionsStatus | Unset):
        created_gte (datetime.datetime | Unset):
        created_lte (datetime.datetime | Unset):
        amount_gte (int | Unset):
        amount_lte (int | Unset):
        customer_email (str | Unset):
        currency (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | str]
    """

    kwargs = _get_kwargs(
        site_id=site_id,
        status=status,
        created_gte=created_gte,
        created_lte=created_lte,
        amount_gte=amount_gte,
        amount_lte=amount_lte,
        customer_email=customer_email,
        currency=currency,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    site_id: str | Unset = UNSET,
    status: ExportTransactionsStatus | Unset = UNSET,
    created_gte: datetime.datetime | Unset = UNSET,
    created_lte: datetime.datetime | Unset = UNSET,
    amount_gte: int | Unset = UNSET,
    amount_lte: int | Unset = UNSET,
    customer_email: str | Unset = UNSET,
    currency: str | Unset = UNSET,
) -> ErrorBody | str | None:
    """Export transactions as CSV

     Needs an API key with the scope `transactions:read`, or a signed-in user whose role holds that
    permission.

    Every transaction matching the filters, newest first, at most 10,000 rows (`Export-Truncated` says
    when more matched). Columns: `id`, `created` (RFC 3339, UTC), `status`, `amount` (minor units),
    `currency`, `amount_decimal` (the amount with the currency's decimals), `customer_email`, `site_id`,
    `checkout_id`, `amount_refunded` (minor units), `provider`. A text cell starting with `=`, `+`, `-`
    or `@` gets a leading `'` so spreadsheets do not run it.

    Args:
        site_id (str | Unset):
        status (ExportTransactionsStatus | Unset):
        created_gte (datetime.datetime | Unset):
        created_lte (datetime.datetime | Unset):
        amount_gte (int | Unset):
        amount_lte (int | Unset):
        customer_email (str | Unset):
        currency (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | str
    """

    return (
        await asyncio_detailed(
            client=client,
            site_id=site_id,
            status=status,
            created_gte=created_gte,
            created_lte=created_lte,
            amount_gte=amount_gte,
            amount_lte=amount_lte,
            customer_email=customer_email,
            currency=currency,
        )
    ).parsed
