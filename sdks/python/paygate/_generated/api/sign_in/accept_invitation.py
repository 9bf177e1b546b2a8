from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.accept_invitation_request import AcceptInvitationRequest
from ...models.accept_invitation_response_200 import AcceptInvitationResponse200
from ...models.error_body import ErrorBody
from ...types import Response


def _get_kwargs(
    *,
    body: AcceptInvitationRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/auth/invitations/accept",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AcceptInvitationResponse200 | ErrorBody | None:
    if response.status_code == 200:
        response_200 = AcceptInvitationResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

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
) -> Response[AcceptInvitationResponse200 | ErrorBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: AcceptInvitationRequest,
) -> Response[AcceptInvitationResponse200 | ErrorBody]:
    """Set a password from a link

    Args:
        body (AcceptInvitationRequest): `POST /api/v1/auth/invitations/accept`. Example: {'token':
            'inv_5Jq2mZ8xW1vK9rT4nL7pB3cY6dF0hG2sA8eU1iO4wQ7', 'password': 'correct horse battery'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AcceptInvitationResponse200 | ErrorBody]
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
    client: AuthenticatedClient | Client,
    body: AcceptInvitationRequest,
) -> AcceptInvitationResponse200 | ErrorBody | None:
    """Set a password from a link

    Args:
        body (AcceptInvitationRequest): `POST /api/v1/auth/invitations/accept`. Example: {'token':
            'inv_5Jq2mZ8xW1vK9rT4nL7pB3cY6dF0hG2sA8eU1iO4wQ7', 'password': 'correct horse battery'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AcceptInvitationResponse200 | ErrorBody
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: AcceptInvitationRequest,
) -> Response[AcceptInvitationResponse200 | ErrorBody]:
    """Set a password from a link

    Args:
        body (AcceptInvitationRequest): `POST /api/v1/auth/invitations/accept`. Example: {'token':
            'inv_5Jq2mZ8xW1vK9rT4nL7pB3cY6dF0hG2sA8eU1iO4wQ7', 'password': 'correct horse battery'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AcceptInvitationResponse200 | ErrorBody]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: AcceptInvitationRequest,
) -> AcceptInvitationResponse200 | ErrorBody | None:
    """Set a password from a link

    Args:
        body (AcceptInvitationRequest): `POST /api/v1/auth/invitations/accept`. Example: {'token':
            'inv_5Jq2mZ8xW1vK9rT4nL7pB3cY6dF0hG2sA8eU1iO4wQ7', 'password': 'correct horse battery'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AcceptInvitationResponse200 | ErrorBody
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
