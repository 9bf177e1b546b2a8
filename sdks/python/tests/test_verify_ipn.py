"""verify_ipn against real IPNs, tampered ones, wrong and rotated secrets, and stale ones."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from conftest import Gateway, IpnReceiver, ReceivedIpn
from paygate import Paygate, SignatureVerificationError, verify_ipn


def signed(body: bytes, secret: str, timestamp: int) -> dict[str, str]:
    signature = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    )
    return {
        "X-Signature-Timestamp": str(timestamp),
        "X-Signature-HMAC-SHA256": signature.hexdigest(),
    }


def receive_paid_ipn(
    client: Paygate, gateway: Gateway, site_id: str, receiver: IpnReceiver
) -> ReceivedIpn:
    checkout = client.checkouts.create(
        site_id, amount=990, currency="EUR", ipn_url=receiver.url
    )
    gateway.pay(checkout.id)
    return receiver.wait_for("transaction.succeeded")


def test_real_ipn_verifies_and_forgeries_do_not(
    gateway: Gateway, ipn_receiver: IpnReceiver
) -> None:
    with Paygate(gateway.api_key, gateway.admin) as client:
        ipn = receive_paid_ipn(client, gateway, gateway.site_id, ipn_receiver)
    event = verify_ipn(ipn.body, ipn.headers, gateway.webhook_secret)
    assert event["type"] == "transaction.succeeded"

    tampered = ipn.body.replace(b'"amount":990', b'"amount":9')
    assert tampered != ipn.body
    with pytest.raises(SignatureVerificationError):
        verify_ipn(tampered, ipn.headers, gateway.webhook_secret)

    with pytest.raises(SignatureVerificationError):
        verify_ipn(ipn.body, ipn.headers, "whsec_" + "A" * 43 + "=")

    # The real request, replayed ten minutes later.
    sent_at = int(ipn.headers["x-signature-timestamp"])
    with pytest.raises(SignatureVerificationError, match="tolerance"):
        verify_ipn(ipn.body, ipn.headers, gateway.webhook_secret, now=sent_at + 600)

    # Correctly signed, but with a timestamp ten minutes old.
    stale = signed(ipn.body, gateway.webhook_secret, int(time.time()) - 600)
    with pytest.raises(SignatureVerificationError, match="tolerance"):
        verify_ipn(ipn.body, stale, gateway.webhook_secret)
    assert (
        verify_ipn(ipn.body, stale, gateway.webhook_secret, tolerance_seconds=900)["id"]
        == event["id"]
    )

    # A Standard Webhooks signature replayed later next to a fresh X-Signature-Timestamp.
    replayed = {
        k: v for k, v in ipn.headers.items() if k.lower().startswith("webhook-")
    }
    replayed["X-Signature-Timestamp"] = str(sent_at + 600)
    with pytest.raises(SignatureVerificationError, match="tolerance"):
        verify_ipn(ipn.body, replayed, gateway.webhook_secret, now=sent_at + 600)

    # Missing headers are refused, never treated as a pass.
    with pytest.raises(SignatureVerificationError):
        verify_ipn(ipn.body, {}, gateway.webhook_secret)
    only_timestamp = {"X-Signature-Timestamp": ipn.headers["x-signature-timestamp"]}
    with pytest.raises(SignatureVerificationError):
        verify_ipn(ipn.body, only_timestamp, gateway.webhook_secret)


def test_rotation_accepts_old_and_new_secret(
    gateway: Gateway, ipn_receiver: IpnReceiver
) -> None:
    with Paygate(gateway.api_key, gateway.admin) as client:
        site = client.sites.create(name="Rotating shop")
        old_secret = site.webhook_secret
        assert old_secret
        new_secret = client.sites.rotate_secret(site.id).webhook_secret
        assert new_secret and new_secret != old_secret
        ipn = receive_paid_ipn(client, gateway, site.id, ipn_receiver)

    # A server still on the old secret keeps accepting (the -Previous header and webhook-signature).
    assert (
        verify_ipn(ipn.body, ipn.headers, old_secret)["type"] == "transaction.succeeded"
    )
    assert (
        verify_ipn(ipn.body, ipn.headers, new_secret)["type"] == "transaction.succeeded"
    )
    assert verify_ipn(ipn.body, ipn.headers, [gateway.webhook_secret, new_secret])
    with pytest.raises(SignatureVerificationError):
        verify_ipn(ipn.body, ipn.headers, [gateway.webhook_secret])

    # Standard Webhooks headers alone suffice too, for either secret.
    standard = {
        k: v for k, v in ipn.headers.items() if k.lower().startswith("webhook-")
    }
    assert len(standard["webhook-signature"].split()) == 2
    assert verify_ipn(ipn.body, standard, old_secret)
    assert verify_ipn(ipn.body, standard, new_secret)
    with pytest.raises(SignatureVerificationError):
        verify_ipn(json.dumps(json.loads(ipn.body)).encode(), standard, new_secret)
