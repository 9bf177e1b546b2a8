from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.site import Site
from ...models.update_site_request import UpdateSiteRequest
from ...types import Response


def _get_kwargs(
    id: str,
    *,
    body: UpdateSiteRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/api/v1/sites/{id}".format(
            id=quote(str(id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | Site | None:
    if response.status_code == 200:
        response_200 = Site.from_dict(response.json())

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
) -> Response[ErrorBody | Site]:
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
    body: UpdateSiteRequest,
) -> Response[ErrorBody | Site]:
    """Update a site

     Needs an API key with the scope `sites:write`, or a signed-in user whose role holds that permission.

    Absent fields stay as they are; `allowedOrigins` replaces the whole list.

    Args:
        id (str):
        body (UpdateSiteRequest): `PATCH /api/v1/sites/{id}`: absent fields stay as they are.
            Example: {'allowedOrigins': ['https://shop.example']}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | Site]
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
    body: UpdateSiteRequest,
) -> ErrorBody | Site | None:
    """Update a site

     Needs an API key with the scope `sites:write`, or a signed-in user whose role holds that permission.

    Absent fields stay as they are; `allowedOrigins` replaces the whole list.

    Args:
        id (str):
        body (UpdateSiteRequest): `PATCH /api/v1/sites/{id}`: absent fields stay as they are.
            Example: {'allowedOrigins': ['https://shop.example']}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | Site
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
    body: UpdateSiteRequest,
) -> Response[ErrorBody | Site]:
    """Update a site

     Needs an API key with the scope `sites:write`, or a signed-in user whose role holds that permission.

    Absent fields stay as they are; `allowedOrigins` replaces the whole list.

    Args:
        id (str):
        body (UpdateSiteRequest): `PATCH /api/v1/sites/{id}`: absent fields stay as they are.
            Example: {'allowedOrigins': ['https://shop.example']}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | Site]
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
    body: UpdateSiteRequest,
) -> ErrorBody | Site | None:
    """Update a site

     Needs an API key with the scope `sites:write`, or a signed-in user whose role holds that permission.

    Absent fields stay as they are; `allowedOrigins` replaces the whole list.

    Args:
        id (str):
        body (UpdateSiteRequest): `PATCH /api/v1/sites/{id}`: absent fields stay as they are.
            Example: {'allowedOrigins': ['https://shop.example']}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | Site
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            body=body,
        )
    ).parsed
