"""sdks/proto/README.md's gRPC-web example: @connectrpc/connect-web against core, from Node."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import Gateway


def snippet(markdown: str, name: str) -> str:
    found = re.search(
        rf"<!-- snippet: {re.escape(name)} -->\n```\w+\n(.*?)```", markdown, re.DOTALL
    )
    assert found, f"sdks/proto/README.md has no {name} snippet"
    return found.group(1)


def test_connect_web_calls_core(gateway: Gateway, tmp_path: Path) -> None:
    package = gateway.repo_root / "sdks" / "proto" / "grpc-web"
    # scripts/sdk-python.sh ran `npm ci` there (the pinned Connect and protoc-gen-es).
    assert (package / "node_modules" / "@connectrpc" / "connect-web").is_dir()
    (tmp_path / "node_modules").symlink_to(package / "node_modules")
    (tmp_path / "package.json").write_text('{"type": "module"}')
    (tmp_path / "gen").mkdir()
    generate = subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-I",
            "proto",
            f"--plugin=protoc-gen-es={package / 'node_modules' / '.bin' / 'protoc-gen-es'}",
            f"--es_out={tmp_path / 'gen'}",
            "--es_opt=target=js+dts,import_extension=js",
            *sorted(
                str(p.relative_to(gateway.repo_root))
                for p in (gateway.repo_root / "proto" / "paygate" / "v1").glob(
                    "*.proto"
                )
            ),
        ],
        cwd=gateway.repo_root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert generate.returncode == 0, generate.stderr

    readme = (gateway.repo_root / "sdks" / "proto" / "README.md").read_text()
    (tmp_path / "example.mjs").write_text(snippet(readme, "grpc-web.mjs"))
    env = dict(
        os.environ,
        PAYGATE_CORE_URL=f"http://{gateway.core_addr}",
        PAYGATE_API_KEY=gateway.api_key,
    )
    run = subprocess.run(
        ["node", "example.mjs"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [gateway.organization_id]

    # A wrong key is refused over gRPC-web as over gRPC.
    env["PAYGATE_API_KEY"] = "sk_test_wrong"
    refused = subprocess.run(
        ["node", "example.mjs"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert refused.returncode != 0
    assert "unauthenticated" in refused.stderr
