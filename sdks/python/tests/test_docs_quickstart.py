"""The quick start of docs/sdks-python.md runs as printed, against the gateway."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import Gateway


def quickstart(docs: Path) -> str:
    """The ```python sdk-quickstart block of docs/sdks.md, or of its Python fragment."""
    for name in ("sdks.md", "sdks-python.md"):
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
    raise AssertionError(
        "no ```python sdk-quickstart block in docs/sdks.md or docs/sdks-python.md"
    )


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
