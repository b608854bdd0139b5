"""The Spaces side of the Hub stand-in answers the real ``huggingface_hub`` client as the Hub does.

The integration tests trust it for access rules, scripted stages, billing time, the Hub's restarts
on settings changes and the request log, so each is pinned here on its own.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

from tests.support.hub_standin import FineGrained, HubStandin
from tests.support.space_runtime import Phase


def dockerfile() -> CommitOperationAdd:
    """A fresh operation each time (the client refuses to commit one twice)."""
    return CommitOperationAdd("Dockerfile", b"FROM python:3.11\n")


@pytest.fixture(scope="module")
def hub() -> Iterator[HubStandin]:
    with HubStandin() as standin:
        yield standin


def user_token(hub: HubStandin, **options: object) -> tuple[str, str, HfApi]:
    user = f"u{uuid.uuid4().hex[:8]}"
    hub.add_token(f"hf_{user}", user, **options)  # type: ignore[arg-type]
    return user, f"hf_{user}", HfApi(endpoint=hub.url, token=f"hf_{user}")


def new_space(api: HfApi, space_id: str, **options: object) -> None:
    api.create_repo(space_id, repo_type="space", space_sdk="docker", **options)  # type: ignore[arg-type]


def test_whoami_names_orgs_roles_and_fine_grained_entities(hub: HubStandin) -> None:
    scopes = FineGrained({"acme": ("repo.write",), "acme/space": ("repo.write",)}, can_read_gated=True)
    user, _, api = user_token(hub, role="fineGrained", orgs={"acme": "contributor"}, fine_grained=scopes)

    body = api.whoami()

    assert body["name"] == user
    assert [(org["name"], org["roleInOrg"]) for org in body["orgs"]] == [("acme", "contributor")]
    access = body["auth"]["accessToken"]
    assert access["role"] == "fineGrained" and access["fineGrained"]["canReadGatedRepos"] is True
    assert [(s["entity"]["type"], s["entity"]["name"]) for s in access["fineGrained"]["scoped"]] == [
        ("org", "acme"),
        ("space", "acme/space"),
    ]


def test_tokens_the_hub_does_not_know_are_refused_where_they_matter(hub: HubStandin) -> None:
    hub.add_model("standin/public", {"config.json": b"{}"})
    user, token, api = user_token(hub)
    with pytest.raises(HfHubHTTPError) as unknown:
        HfApi(endpoint=hub.url, token="hf_nobody").get_space_runtime(f"{user}/x")
    assert unknown.value.response.status_code == 401
    assert HfApi(endpoint=hub.url, token="hf_nobody").model_info("standin/public").sha  # public reads stay open

    hub.revoke(token)

    for call in (lambda: api.whoami(), lambda: api.model_info("standin/public")):
        with pytest.raises(HfHubHTTPError) as revoked:
            call()
        assert revoked.value.response.status_code == 401


def test_creating_twice_conflicts_unless_exist_ok(hub: HubStandin) -> None:
    user, _, api = user_token(hub)
    new_space(api, f"{user}/twice", private=True)
    new_space(api, f"{user}/twice", exist_ok=True)
    with pytest.raises(HfHubHTTPError) as conflict:
        new_space(api, f"{user}/twice")
    assert conflict.value.response.status_code == 409
    assert [r.status for r in hub.requests_for(r"^/api/repos/create$") if r.token == api.token] == [200, 409, 409]


def test_private_spaces_are_invisible_and_others_spaces_read_only(hub: HubStandin) -> None:
    owner, _, api = user_token(hub)
    _, _, stranger = user_token(hub)
    new_space(api, f"{owner}/hidden", private=True)
    new_space(api, f"{owner}/shown", private=False)

    with pytest.raises(RepositoryNotFoundError):
        stranger.get_space_runtime(f"{owner}/hidden")
    assert stranger.get_space_runtime(f"{owner}/shown").stage == "NO_APP_FILE"
    with pytest.raises(HfHubHTTPError) as refused:
        stranger.pause_space(f"{owner}/shown")
    assert refused.value.response.status_code == 403


def test_a_contributor_creates_but_cannot_change_what_others_created(hub: HubStandin) -> None:
    org = f"org{uuid.uuid4().hex[:8]}"
    _, _, admin = user_token(hub, orgs={org: "admin"})
    _, _, contributor = user_token(hub, orgs={org: "contributor"})
    new_space(admin, f"{org}/by-admin")

    new_space(contributor, f"{org}/by-contributor")
    contributor.add_space_variable(f"{org}/by-contributor", "A", "1")
    with pytest.raises(HfHubHTTPError) as refused:
        contributor.add_space_variable(f"{org}/by-admin", "A", "1")
    assert refused.value.response.status_code == 403


def test_secret_values_never_come_back(hub: HubStandin) -> None:
    user, token, api = user_token(hub)
    new_space(api, f"{user}/vault", space_secrets=[{"key": "HF_TOKEN", "value": "hf_inner"}])
    api.add_space_secret(f"{user}/vault", "OTHER", "v", description="d")

    raw = httpx.get(f"{hub.url}/api/spaces/{user}/vault/secrets", headers={"authorization": f"Bearer {token}"}).json()

    assert set(raw) == {"HF_TOKEN", "OTHER"}
    assert "hf_inner" not in str(raw) and raw["OTHER"]["description"] == "d"
    api.delete_space_secret(f"{user}/vault", "OTHER")
    assert set(api.get_space_secrets(f"{user}/vault")) == {"HF_TOKEN"}


def test_stages_held_for_seconds_move_on_without_reads_and_bill_only_start_and_run(hub: HubStandin) -> None:
    user, _, api = user_token(hub)
    space_id = f"{user}/timed"
    hub.spaces.script(
        space_id,
        [
            Phase("BUILDING", seconds=0.3),
            Phase("APP_STARTING", seconds=0.2),
            Phase("RUNNING", seconds=0.3),
            Phase("RUNTIME_ERROR", error="CUDA out of memory"),
        ],
    )
    new_space(api, space_id, space_hardware="t4-small")
    api.create_commit(space_id, [dockerfile()], commit_message="app", repo_type="space")

    time.sleep(1.0)

    changes = hub.spaces.stage_changes(space_id)
    assert [c.stage for c in changes] == ["NO_APP_FILE", "BUILDING", "APP_STARTING", "RUNNING", "RUNTIME_ERROR"]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(changes[1:])]
    assert gaps == pytest.approx([0.3, 0.2, 0.3], abs=0.02)
    assert hub.spaces.billable_seconds(space_id) == pytest.approx(0.5, abs=0.02)
    runtime = api.get_space_runtime(space_id)
    assert (runtime.stage, runtime.raw["errorMessage"], runtime.hardware) == (
        "RUNTIME_ERROR",
        "CUDA out of memory",
        "t4-small",
    )


def test_a_settings_change_restarts_a_running_space(hub: HubStandin) -> None:
    user, _, api = user_token(hub)
    space_id = f"{user}/restarts"
    hub.spaces.script(space_id, ["BUILDING", "RUNNING"])
    new_space(api, space_id)
    api.create_commit(space_id, [dockerfile()], commit_message="app", repo_type="space")
    assert [api.get_space_runtime(space_id).stage for _ in range(2)] == ["BUILDING", "RUNNING"]

    api.add_space_secret(space_id, "K", "v")

    assert [c.stage for c in hub.spaces.stage_changes(space_id)][-2:] == ["RUNNING", "BUILDING"]
    assert api.get_space_runtime(space_id).stage == "BUILDING"


def test_a_commit_without_the_app_file_has_no_app(hub: HubStandin) -> None:
    user, _, api = user_token(hub)
    new_space(api, f"{user}/empty")
    api.create_commit(
        f"{user}/empty", [CommitOperationAdd("notes.txt", b"x")], commit_message="notes", repo_type="space"
    )
    assert api.get_space_runtime(f"{user}/empty").stage == "NO_APP_FILE"


def test_the_log_tells_changes_from_reads_and_faults_can_pick_a_method(hub: HubStandin) -> None:
    user, token, api = user_token(hub)
    new_space(api, f"{user}/logged")
    hub.inject(rf"^/api/spaces/{user}/logged/variables$", 503, method="POST")

    assert api.get_space_variables(f"{user}/logged") == {}
    with pytest.raises(HfHubHTTPError) as failed:
        api.add_space_variable(f"{user}/logged", "A", "1")
    assert failed.value.response.status_code == 503
    api.add_space_variable(f"{user}/logged", "A", "1")

    mine = [r for r in hub.changes(rf"/{user}/") if r.token == token]
    assert [(r.method, r.status) for r in mine] == [("POST", 503), ("POST", 200)]
    assert all(not r.changes for r in hub.requests_for(rf"/{user}/logged", "GET"))


def test_gated_auth_checks_follow_grants_and_fine_grained_permission(hub: HubStandin) -> None:
    hub.add_model("standin/gated-check", {"config.json": b"{}"}, gated=True)
    granted, _, granted_api = user_token(hub)
    hub.grant_gated(granted, "standin/gated-check")
    _, _, stranger = user_token(hub)
    fine = f"hf_fine_{granted}"
    hub.accounts.add_token(fine, granted, role="fineGrained", fine_grained=FineGrained({}, can_read_gated=False))

    granted_api.auth_check("standin/gated-check")
    with pytest.raises(GatedRepoError) as refused:
        stranger.auth_check("standin/gated-check")
    assert refused.value.response.status_code == 403
    with pytest.raises(GatedRepoError):
        HfApi(endpoint=hub.url, token=fine).auth_check("standin/gated-check")
    with pytest.raises(GatedRepoError) as anonymous:
        HfApi(endpoint=hub.url, token=False).auth_check("standin/gated-check")
    assert anonymous.value.response.status_code == 401
    assert stranger.model_info("standin/gated-check").gated == "manual"  # metadata stays public


def test_a_forced_crash_ends_a_running_space_on_its_commit(hub: HubStandin) -> None:
    user, _, api = user_token(hub)
    space_id = f"{user}/crash"
    hub.spaces.script(space_id, ["RUNNING"])
    new_space(api, space_id)
    commit = api.create_commit(space_id, [dockerfile()], commit_message="app", repo_type="space").oid

    hub.spaces.force(space_id, [Phase("RUNTIME_ERROR", error="Killed", run_logs=("Killed",))])

    runtime = api.get_space_runtime(space_id)
    assert (runtime.stage, runtime.raw["sha"], runtime.raw["errorMessage"]) == ("RUNTIME_ERROR", commit, "Killed")
    assert list(api.fetch_space_logs(space_id)) == ["Killed\n"]
