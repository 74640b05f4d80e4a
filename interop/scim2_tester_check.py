"""Runs scim2-tester (the python-scim project's SCIM conformance checker), unmodified,
against a SCIM server and exits non-zero when any check fails.

Usage: python scim2_tester_check.py BASE_URL BEARER_TOKEN

A check fails when scim2-tester marks it ERROR (a MUST broken) or CRITICAL; DEVIATION
(a SHOULD not followed) is printed and also fails the run, so the mock stays as close to
the RFCs as the reference server.
"""

import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

FAILED = {Status.ERROR, Status.CRITICAL, Status.DEVIATION}


def main() -> int:
    base_url, token = sys.argv[1], sys.argv[2]
    http = Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    scim = SyncSCIMClient(http)
    results = check_server(scim)
    counts: dict[str, int] = {}
    failed = 0
    for r in results:
        counts[r.status.name] = counts.get(r.status.name, 0) + 1
        bad = r.status in FAILED
        failed += bad
        where = f"{r.resource_type}/" if r.resource_type else ""
        line = f"{r.status.name:10} {where}{r.title}"
        if bad or "-v" in sys.argv:
            line += f": {r.reason}"
            if r.data is not None and "-v" in sys.argv:
                line += f"\n           data: {r.data!r}"[:2000]
        print(line)
    total = len(results)
    skipped = counts.get("SKIPPED", 0)
    print(
        f"scim2-tester: {total - failed - skipped} passed, {failed} failed, {skipped} skipped"
        f" ({', '.join(f'{k}={v}' for k, v in sorted(counts.items()))})"
    )
    return 1 if failed or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
