"""Verifying IPNs: the HMAC of `{timestamp}.{raw body}` keyed with the site's whsec_ secret."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any


class SignatureVerificationError(ValueError):
    """The request is not a recent IPN signed with any of the given secrets."""


def verify_ipn(
    raw_body: bytes,
    headers: Mapping[str, str],
    secret: str | Iterable[str],
    tolerance_seconds: int = 300,
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """Returns the parsed event once raw_body is proven to be a recent IPN, else raises.

    `secret` may be several secrets (while rotating, keep the old one and the new one): the
    request is genuine when any signature it carries (X-Signature-HMAC-SHA256, its -Previous
    twin, or any `webhook-signature` entry) matches any secret.
    """
    secrets = [secret] if isinstance(secret, str) else list(secret)
    if not secrets or not all(secrets):
        raise ValueError("at least one non-empty secret is required")
    lower = {name.lower(): value for name, value in headers.items()}
    timestamp = (
        lower.get("x-signature-timestamp") or lower.get("webhook-timestamp") or ""
    )
    standard_timestamp = lower.get("webhook-timestamp", timestamp)
    current = time.time() if now is None else now
    # Each scheme signs its own timestamp, so both must be recent: otherwise an old request's
    # Standard Webhooks signature could be replayed next to a fresh X-Signature-Timestamp.
    for stamp in {timestamp, standard_timestamp}:
        if not stamp.isdigit():
            raise SignatureVerificationError("missing or malformed signature timestamp")
        if abs(current - int(stamp)) > tolerance_seconds:
            raise SignatureVerificationError("timestamp outside the tolerance")

    hex_signatures = [
        value
        for value in (
            lower.get("x-signature-hmac-sha256"),
            lower.get("x-signature-hmac-sha256-previous"),
        )
        if value
    ]
    standard = [
        signature
        for version, _, signature in (
            entry.partition(",") for entry in lower.get("webhook-signature", "").split()
        )
        if version == "v1" and signature
    ]
    message_id = lower.get("webhook-id", "")
    matched = False
    for candidate in secrets:
        expected = hmac.new(
            candidate.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256
        ).hexdigest()
        # Every comparison runs, so the time taken does not reveal which one matched.
        for signature in hex_signatures:
            matched |= hmac.compare_digest(expected, signature)
        if standard and message_id:
            try:
                key = base64.b64decode(candidate.removeprefix("whsec_"), validate=True)
            except binascii.Error:
                continue
            digest = hmac.new(
                key,
                f"{message_id}.{standard_timestamp}.".encode() + raw_body,
                hashlib.sha256,
            )
            encoded = base64.b64encode(digest.digest()).decode()
            for signature in standard:
                matched |= hmac.compare_digest(encoded, signature)
    if not matched:
        raise SignatureVerificationError("no matching signature")
    event: dict[str, Any] = json.loads(raw_body)
    return event
