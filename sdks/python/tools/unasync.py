"""Derives paygate/_async_resources.py from paygate/_resources.py.

Every method that performs a request becomes `async def … return await …`; list methods keep
returning a pager at once (an AsyncPager, for `async for`). Prints the module to stdout.
"""

import re
import sys

HEADER = '''"""Typed resources of the asynchronous client (AsyncPaygate).

Generated from _resources.py by tools/unasync.py; do not edit.
"""
'''


def transform(source: str) -> str:
    body = source.split('"""', 2)[2]  # drop the sync module's docstring
    lines = body.splitlines()
    method_start = None
    for index, line in enumerate(lines):
        if re.match(r"    def \w+\(", line):
            method_start = index
        if "return self._client.request(" in line:
            assert method_start is not None, line
            lines[method_start] = lines[method_start].replace(
                "    def ", "    async def ", 1
            )
            lines[index] = line.replace(
                "return self._client.request(", "return await self._client.request("
            )
    text = "\n".join(lines) + "\n"
    text = text.replace("SyncPager", "AsyncPager").replace(
        "SyncTransport", "AsyncTransport"
    )
    return HEADER + text


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        sys.stdout.write(transform(handle.read()))
