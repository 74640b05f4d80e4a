"""Drives a SCIM server through scim2-client (the python-scim project's client), unmodified,
as an application would: discovery, then users and groups through create, read, list with
a filter, search, PATCH, PUT, conditional read, bulk and delete. Every answer is validated
by the client against the models built from what the server's /Schemas publishes.

Usage: python scim2_client_scenario.py BASE_URL BEARER_TOKEN
Prints one line per step and a closing "N passed, N failed" line; exits non-zero on failure.
"""

import sys
import traceback

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (
    BulkOperation,
    BulkRequest,
    Error,
    ListResponse,
    PatchOp,
    PatchOperation,
    SearchRequest,
)


def main() -> int:
    base_url, token = sys.argv[1], sys.argv[2]
    http = Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    scim = SyncSCIMClient(http)
    state: dict = {}
    steps = []

    def step(fn):
        steps.append(fn)
        return fn

    @step
    def discovery():
        scim.discover()
        state["User"] = scim.get_resource_model("User")
        state["Group"] = scim.get_resource_model("Group")
        assert state["User"] is not None and state["Group"] is not None
        config = scim.provider.config
        assert config.patch.supported and config.bulk.supported and config.filter.supported

    @step
    def create_users():
        User = state["User"]
        Emails = User.model_fields["emails"].annotation.__args__[0].__args__[0]
        alice = scim.create(
            User(
                user_name="alice@example.com",
                display_name="Alice",
                emails=[Emails(value="alice@example.com", type="work", primary=True)],
                active=True,
            )
        )
        assert alice.id and alice.meta.location.endswith(f"/Users/{alice.id}")
        assert alice.user_name == "alice@example.com"
        bob = scim.create(User(user_name="bob@example.com", display_name="Bob"))
        state["alice"], state["bob"] = alice, bob

    @step
    def duplicate_user_name_is_a_conflict():
        User = state["User"]
        answer = scim.create(User(user_name="ALICE@example.com"), raise_scim_errors=False)
        assert isinstance(answer, Error), answer
        assert answer.status == 409 and answer.scim_type == "uniqueness", answer

    @step
    def create_group_with_a_member():
        Group = state["Group"]
        Members = Group.model_fields["members"].annotation.__args__[0].__args__[0]
        group = scim.create(
            Group(display_name="Engineers", members=[Members(value=state["alice"].id)])
        )
        assert group.members[0].value == state["alice"].id
        state["group"] = group

    @step
    def read_a_user_in_a_group():
        alice = scim.query(state["User"], state["alice"].id)
        assert [g.value for g in alice.groups] == [state["group"].id], alice.groups
        state["alice"] = alice

    @step
    def list_with_a_filter_and_paging():
        found = scim.query(
            state["User"],
            query_parameters=SearchRequest(filter='userName sw "ALICE"', count=10, start_index=1),
        )
        assert isinstance(found, ListResponse)
        assert found.total_results == 1 and found.resources[0].id == state["alice"].id
        page = scim.query(state["User"], query_parameters=SearchRequest(count=1, start_index=2))
        assert page.total_results == 2 and len(page.resources) == 1

    @step
    def search_on_an_endpoint_and_at_the_root():
        found = scim.search(
            state["User"],
            SearchRequest(filter='displayName eq "Bob"', attributes=["userName"]),
        )
        assert found.total_results == 1 and found.resources[0].display_name is None
        everything = scim.search(SearchRequest(count=50))
        assert everything.total_results == 3, everything.total_results

    @step
    def patch_a_user():
        User = state["User"]
        patched = scim.modify(
            User,
            state["bob"].id,
            PatchOp[User](
                operations=[
                    PatchOperation[User](op="add", path="title", value="Engineer"),
                    PatchOperation[User](op="replace", path="displayName", value="Robert"),
                ]
            ),
        )
        assert patched.title == "Engineer" and patched.display_name == "Robert"
        state["bob"] = patched

    @step
    def remove_a_group_member():
        Group = state["Group"]
        alice_id = state["alice"].id
        patched = scim.modify(
            Group,
            state["group"].id,
            PatchOp[Group](
                operations=[
                    PatchOperation[Group](op="remove", path=f'members[value eq "{alice_id}"]')
                ]
            ),
        )
        assert not patched.members, patched.members

    @step
    def replace_a_user():
        bob = state["bob"]
        bob.nick_name = "Bobby"
        bob.title = None
        replaced = scim.replace(bob)
        assert replaced.nick_name == "Bobby" and replaced.title is None
        assert replaced.meta.version != state["bob"].meta.version
        state["bob"] = replaced

    @step
    def conditional_read():
        bob = state["bob"]
        again = scim.query(bob)
        assert again.id == bob.id and again.meta.version == bob.meta.version

    @step
    def bulk_create():
        User = state["User"]
        answer = scim.bulk(
            BulkRequest[User](
                operations=[
                    BulkOperation[User](
                        method="POST", path="/Users", bulk_id="c1", data=User(user_name="carol")
                    ),
                    BulkOperation[User](
                        method="POST", path="/Users", bulk_id="c2", data=User(user_name="alice@example.com")
                    ),
                ]
            )
        )
        statuses = [op.status for op in answer.operations]
        assert statuses == [201, 409] or statuses == ["201", "409"], statuses
        assert answer.operations[0].location

    @step
    def delete_and_gone():
        User = state["User"]
        scim.delete(User, state["bob"].id)
        gone = scim.query(User, state["bob"].id, raise_scim_errors=False)
        assert isinstance(gone, Error) and gone.status == 404, gone

    passed = failed = 0
    for fn in steps:
        try:
            fn()
        except Exception:
            failed += 1
            print(f"FAILED {fn.__name__}")
            traceback.print_exc()
        else:
            passed += 1
            print(f"ok     {fn.__name__}")
    print(f"scim2-client: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
