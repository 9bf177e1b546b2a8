"""The quick start of docs/sdks-python.md runs as printed, against the gateway."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import Gateway


def snippet(markdown: str, name: str) -> str:
    found = re.search(
        rf"<!-- snippet: {re.escape(name)} -->\n```python\n(.*?)```",
        markdown,
        re.DOTALL,
    )
    assert found, f"docs/sdks-python.md has no {name} snippet"
    return found.group(1)


def test_quickstart_runs(gateway: Gateway) -> None:
    code = snippet(
        (gateway.repo_root / "docs" / "sdks-python.md").read_text(), "quickstart.py"
    )
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
