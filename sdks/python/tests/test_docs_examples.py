"""The Python examples of docs/sdks.md run as printed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Gateway, IpnReceiver
from paygate import Paygate


def quickstart(docs: Path) -> str:
    """The ```python sdk-quickstart block of docs/sdks.md."""
    for name in ("sdks.md",):
        path = docs / name
        found = (
            re.search(
                r"^```python sdk-quickstart\n(.*?)^```$",
                path.read_text(),
                re.MULTILINE | re.DOTALL,
            )
            if path.is_file()
            else None
        )
        if found:
            return found.group(1)
    raise AssertionError("no ```python sdk-quickstart block in docs/sdks.md")


def test_quickstart_runs(gateway: Gateway) -> None:
    code = quickstart(gateway.repo_root / "docs")
    env = dict(
        os.environ,
        PAYGATE_API_KEY=gateway.api_key,
        PAYGATE_ADMIN_URL=gateway.admin,
        PAYGATE_SITE_ID=gateway.site_id,
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            check=False,
            text=True,
            timeout=60,
        )
        for _ in range(2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
        lines = run.stdout.splitlines()
        assert lines[0].startswith(f"send the payer to {gateway.main}/checkout/chk_"), (
            run.stdout
        )
        assert lines[-1] == "400 amount_invalid amount"
    # The fixed Idempotency-Key makes the second run replay the first checkout.
    assert runs[0].stdout.splitlines()[0] == runs[1].stdout.splitlines()[0]


def test_ipn_handler_accepts_a_real_ipn_and_refuses_a_forged_one(
    gateway: Gateway, ipn_receiver: IpnReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = None
    for name in ("sdks.md",):
        path = gateway.repo_root / "docs" / name
        if path.is_file():
            found = re.search(
                r"^```python sdk-ipn\n(.*?)^```$",
                path.read_text(),
                re.MULTILINE | re.DOTALL,
            )
        if found:
            break
    assert found, "no ```python sdk-ipn block in docs"
    monkeypatch.setenv("PAYGATE_WEBHOOK_SECRET", gateway.webhook_secret)
    namespace: dict[str, Any] = {}
    exec(compile(found.group(1), "sdk-ipn", "exec"), namespace)  # noqa: S102 (the docs' own code)
    handle_ipn = namespace["handle_ipn"]

    with Paygate(gateway.api_key, gateway.admin) as client:
        checkout = client.checkouts.create(
            gateway.site_id, amount=321, currency="EUR", ipn_url=ipn_receiver.url
        )
    gateway.pay(checkout.id)
    ipn = ipn_receiver.wait_for("transaction.succeeded")
    assert handle_ipn(ipn.body, ipn.headers) == 200
    assert (
        handle_ipn(ipn.body, ipn.headers) == 200
    )  # a retry: accepted, not processed twice
    assert namespace["processed"] == {json.loads(ipn.body)["id"]}
    assert (
        handle_ipn(ipn.body.replace(b'"amount":321', b'"amount":1'), ipn.headers) == 400
    )
