"""Okta's official Python SDK (the `okta` package from PyPI, unmodified) against scimkit's
mock Okta org, as `interop/run-okta-sdk.sh` starts it.

Reads the JSON line `scimkit-mock` printed from the file named by argv[1], then exercises
what the mock serves: users (list with paging, get, create, activate, deactivate, delete),
groups (create, list, membership) and admin role assignment. Any mismatch raises and the
script exits non-zero.

The only configuration beyond the org URL and token is the SDK's own switch for talking to
a local http:// server (`OKTA_TESTING_TESTINGDISABLEHTTPSCHECK`, set below).
"""

import asyncio
import json
import os
import sys

from okta.client import Client
from okta.pagination import PaginationHelper, paginate_all, paginate_pages
from okta.models import (
    AddGroupRequest,
    AssignRoleToUserRequest,
    CreateUserRequest,
    OktaUserGroupProfile,
    StandardRoleAssignmentSchema,
    UserProfile,
)

checks = 0


def check(condition, what):
    """Fails the run with `what` unless `condition` holds."""
    global checks
    if not condition:
        raise AssertionError(what)
    checks += 1
    print(f"ok  {what}")


def ok(result, what):
    """Unpacks an SDK (data, response, error) tuple, failing on an error."""
    data, response, error = result
    if error is not None:
        raise AssertionError(f"{what}: {error}")
    return data, response


async def main(endpoints):
    os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "true"
    client = Client(
        {
            "orgUrl": endpoints["okta_url"],
            "token": endpoints["okta_api_token"],
            "rateLimit": {"maxRetries": 1},
        }
    )

    # Paging: 7 seeded users, 3 per page, followed through the Link headers with the SDK's
    # own helpers.
    first, response = ok(await client.list_users(limit=3), "list users")
    check(len(first) == 3, "the first page holds `limit` users")
    headers = {k.lower(): v for k, v in response.headers.items()}
    check(
        all(h in headers for h in ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")),
        "every answer carries the X-Rate-Limit-* headers",
    )
    check(headers.get("x-okta-request-id", "") != "", "every answer carries X-Okta-Request-Id")
    check(
        PaginationHelper.extract_next_cursor(response.headers) == first[-1].id,
        "the next link's `after` cursor is the last id on the page",
    )
    pages = []
    async for page, number, has_more in paginate_pages(client.list_users, limit=3):
        pages.append((len(page), has_more))
    check(pages == [(3, True), (3, True), (1, False)], f"7 users at 3 a page: {pages}")
    logins = [u.profile.login async for u in paginate_all(client.list_users, limit=3)]
    check(len(logins) == 7 and len(set(logins)) == 7, f"paging yields the 7 users once each: {logins}")

    # Get by id and by login.
    one, _ = ok(await client.get_user(first[0].id), "get user by id")
    check(one.id == first[0].id and one.status.value == "ACTIVE", "get by id returns the user, ACTIVE")
    by_login, _ = ok(await client.get_user(first[0].profile.login), "get user by login")
    check(by_login.id == first[0].id, "get by login returns the same user")

    # Create (staged), activate, deactivate, delete.
    profile = UserProfile(
        first_name="Ada", last_name="Lovelace", email="ada@example.com", login="ada@example.com"
    )
    created, _ = ok(
        await client.create_user(CreateUserRequest(profile=profile), activate=False),
        "create user",
    )
    check(created.status.value == "STAGED", "a user created with activate=false is STAGED")
    check(created.profile.login == "ada@example.com", "the profile comes back as sent")
    activation, _ = ok(
        await client.activate_user(created.id, send_email=False), "activate user"
    )
    check(
        activation is not None and bool(activation.activation_token),
        "activate with sendEmail=false returns an activation token",
    )
    fetched, _ = ok(await client.get_user(created.id), "get activated user")
    check(
        fetched.status.value == "PROVISIONED",
        f"activation moves a user without password to PROVISIONED (got {fetched.status.value})",
    )
    _, response = ok(await client.deactivate_user(created.id), "deactivate user")
    check(response.status_code == 200, "deactivate answers 200")
    fetched, _ = ok(await client.get_user(created.id), "get deactivated user")
    check(fetched.status.value == "DEPROVISIONED", "deactivation makes the user DEPROVISIONED")
    _, response = ok(await client.delete_user(created.id), "delete user")
    check(response.status_code == 204, "delete answers 204")
    _, _, error = await client.get_user(created.id)
    check(error is not None, "a deleted user is gone (404)")

    # A duplicate login is Okta's validation error.
    duplicate = CreateUserRequest(
        profile=UserProfile(
            first_name="X", last_name="Y", email=logins[0], login=logins[0]
        )
    )
    _, _, error = await client.create_user(duplicate)
    check(error is not None and "E0000001" in str(error), "a duplicate login is E0000001")

    # Groups and membership.
    group, _ = ok(
        await client.add_group(
            AddGroupRequest(profile=OktaUserGroupProfile(name="Engineering", description="Builders"))
        ),
        "create group",
    )
    check(group.profile.actual_instance.name == "Engineering", "the group comes back with its name")
    groups, _ = ok(await client.list_groups(), "list groups")
    check(any(g.id == group.id for g in groups), "the new group is listed")
    for user in first[:2]:
        _, response = ok(
            await client.assign_user_to_group(group.id, user.id), "add a member"
        )
        check(response.status_code == 204, "adding a member answers 204")
    members, _ = ok(await client.list_group_users(group.id), "list members")
    check(
        sorted(m.id for m in members) == sorted(u.id for u in first[:2]),
        "the group lists exactly the two members",
    )
    user_groups, _ = ok(await client.list_user_groups(first[0].id), "list a user's groups")
    check(any(g.id == group.id for g in user_groups), "the user's groups include the group")
    _, response = ok(
        await client.unassign_user_from_group(group.id, first[1].id), "remove a member"
    )
    check(response.status_code == 204, "removing a member answers 204")
    members, _ = ok(await client.list_group_users(group.id), "list members again")
    check([m.id for m in members] == [first[0].id], "one member is left")

    # Admin roles.
    assigned, _ = ok(
        await client.assign_role_to_user(
            first[0].id,
            AssignRoleToUserRequest(StandardRoleAssignmentSchema(type="USER_ADMIN")),
        ),
        "assign a role",
    )
    role = assigned.actual_instance
    check(role is not None and role.type == "USER_ADMIN", "the assignment comes back typed")
    roles, _ = ok(await client.list_assigned_roles_for_user(first[0].id), "list a user's roles")
    check([r.actual_instance.type for r in roles] == ["USER_ADMIN"], "the user holds USER_ADMIN")
    _, response = ok(
        await client.unassign_role_from_user(first[0].id, role.id), "unassign the role"
    )
    check(response.status_code == 204, "unassigning answers 204")
    roles, _ = ok(await client.list_assigned_roles_for_user(first[0].id), "list roles again")
    check(roles == [] or roles is None, "no role is left")

    # Clean up the group.
    _, response = ok(await client.delete_group(group.id), "delete group")
    check(response.status_code == 204, "deleting a group answers 204")
    print(f"okta SDK scenario: {checks} checks passed")


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        endpoints = json.loads(f.readline())
    asyncio.run(main(endpoints))
