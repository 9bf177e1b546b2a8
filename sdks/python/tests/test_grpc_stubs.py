"""sdks/proto/README.md's Python example: stubs from grpcio-tools calling core with an API key."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import Gateway
from paygate import Paygate


def snippet(markdown: str, name: str) -> str:
    found = re.search(
        rf"<!-- snippet: {re.escape(name)} -->\n```\w+\n(.*?)```", markdown, re.DOTALL
    )
    assert found, f"sdks/proto/README.md has no {name} snippet"
    return found.group(1)


def test_python_stubs_call_core(gateway: Gateway, tmp_path: Path) -> None:
    readme = (gateway.repo_root / "sdks" / "proto" / "README.md").read_text()
    out = tmp_path / "gen"
    # The interpreter running these tests (the SDK's virtualenv) is `python` for the snippet.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    generate = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", snippet(readme, "generate-python-stubs.sh")],
        cwd=gateway.repo_root,
        env=dict(os.environ, OUT=str(out), PATH=path),
        capture_output=True,
        check=False,
        text=True,
        timeout=300,
    )
    assert generate.returncode == 0, generate.stderr
    assert (out / "paygate" / "v1" / "checkouts_pb2_grpc.py").is_file()

    env = dict(
        os.environ,
        PYTHONPATH=str(out),
        PAYGATE_CORE_ADDR=gateway.core_addr,
        PAYGATE_API_KEY=gateway.api_key,
        PAYGATE_SITE_ID=gateway.site_id,
    )
    example = snippet(readme, "grpc_example.py")
    runs = [
        subprocess.run(
            [sys.executable, "-c", example],
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
    first, denied = runs[0].stdout.splitlines()
    organization_id, checkout_id, status, amount, count, _has_more = first.split()
    assert organization_id == gateway.organization_id
    assert checkout_id.startswith("chk_")
    assert (status, amount) == ("CHECKOUT_STATUS_OPEN", "1500")
    assert 0 <= int(count) <= 5
    assert denied == "UNAUTHENTICATED"
    # The idempotency key made the second run replay the same checkout.
    assert runs[1].stdout.split()[1] == checkout_id

    # The checkout made over gRPC is the one the Admin API shows.
    with Paygate(gateway.api_key, gateway.admin) as client:
        checkout = client.checkouts.retrieve(checkout_id)
    assert checkout.amount == 1500
    assert checkout.description == "Ordered over gRPC"
    assert checkout.metadata.to_dict() == {"via": "grpc"}
