"""The pre-spend checks of a deploy, against the real client and the Hub stand-in.

A check that fails must leave the Hub untouched: every test reads the stand-in's log for requests
that could create or change anything (every method but GET and HEAD) sent with the test's token.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from huggingface_hub import HfApi, constants
from huggingface_hub.errors import HfHubHTTPError

from tests.support.hub_standin import FineGrained, HubStandin
from tests.support.model_files import tiny_llama
from workers.integrations.errors import IntegrationError
from workers.integrations.hub_access import (
    HubIdentity,
    RepoPin,
    check_can_read,
    check_can_write,
    check_deploy_access,
    identify,
    parse_identity,
)

DATA = {"train.jsonl": b'{"messages": [{"role": "user", "content": "hi"}]}\n'}


@pytest.fixture(scope="module")
def hub() -> Iterator[HubStandin]:
    with HubStandin() as standin:
        yield standin


@pytest.fixture(autouse=True)
def _no_ambient_hub_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "hf-home" / "token"))


def fresh(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def failure(call: Callable[[], object]) -> IntegrationError:
    with pytest.raises(IntegrationError) as caught:
        call()
    return caught.value


@pytest.fixture
def world(hub: HubStandin) -> dict[str, str]:
    """A user in an organisation, a gated model it was granted, a public and a private dataset."""
    user, org = fresh("u"), fresh("org")
    hub.add_token(f"hf_{user}", user, orgs={org: "write"})
    model, dataset, private = f"{org}/llama-{user}", f"{org}/chat-{user}", f"{org}/internal-{user}"
    sha = hub.add_model(model, tiny_llama().files, gated=True)
    hub.grant_gated(user, model)
    data_sha = hub.add_dataset(dataset, DATA)
    hub.add_dataset(private, DATA, private=True)
    return {
        "user": user,
        "org": org,
        "token": f"hf_{user}",
        "model": model,
        "sha": sha,
        "dataset": dataset,
        "data_sha": data_sha,
        "private": private,
    }


def untouched(hub: HubStandin, token: str) -> bool:
    """No request that could create or change anything was sent with ``token``."""
    return [r for r in hub.changes() if r.token == token] == []


def test_identify_reads_the_user_its_organisations_and_the_token_role(hub: HubStandin) -> None:
    user = fresh("u")
    hub.add_token(f"hf_{user}", user, role="read", orgs={"acme": "admin", "labs": "contributor"})

    identity = identify(endpoint=hub.url, token=f"hf_{user}")

    assert identity == HubIdentity(user, "read", {"acme": "admin", "labs": "contributor"}, {}, True)


def test_identify_reads_fine_grained_scopes(hub: HubStandin) -> None:
    user = fresh("u")
    scopes = FineGrained({user: ("repo.content.read",), "acme": ("repo.write", "repo.content.read")}, False)
    hub.add_token(f"hf_{user}", user, role="fineGrained", orgs={"acme": "write"}, fine_grained=scopes)

    identity = identify(endpoint=hub.url, token=f"hf_{user}")

    assert identity.fine_grained and identity.can_read_gated is False
    assert identity.scoped == {user: {"repo.content.read"}, "acme": {"repo.write", "repo.content.read"}}


@pytest.mark.parametrize("kind", ["unknown", "revoked", "empty"])
def test_a_token_the_hub_does_not_accept_is_invalid(hub: HubStandin, kind: str) -> None:
    token = fresh("hf_")
    if kind == "revoked":
        hub.add_token(token, fresh("u"))
        hub.revoke(token)

    error = failure(lambda: identify(endpoint=hub.url, token="" if kind == "empty" else token))

    assert (error.code, error.transient) == ("HUB_TOKEN_INVALID", False)
    assert untouched(hub, token)


def test_a_rate_limited_token_check_is_transient(hub: HubStandin) -> None:
    user = fresh("u")
    hub.add_token(f"hf_{user}", user)
    hub.inject(r"^/api/whoami-v2$", 429, retry_after=30)

    error = failure(lambda: identify(endpoint=hub.url, token=f"hf_{user}"))

    assert (error.code, error.transient, error.retry_after) == ("HUB_RATE_LIMITED", True, 30)


WRITE_CASES = [
    ("own namespace, write token", HubIdentity("ann", "write"), "ann/space", None),
    ("own namespace, read token", HubIdentity("ann", "read"), "ann/space", "'read'-only"),
    ("org admin", HubIdentity("ann", "write", {"acme": "admin"}), "acme/space", None),
    ("org write", HubIdentity("ann", "write", {"acme": "write"}), "acme/space", None),
    ("org contributor", HubIdentity("ann", "write", {"acme": "contributor"}), "acme/space", None),
    ("org read", HubIdentity("ann", "write", {"acme": "read"}), "acme/space", "'read' role in acme"),
    ("not a member", HubIdentity("ann", "write", {"labs": "admin"}), "acme/space", "not a member of acme"),
    (
        "fine-grained, repo.write on the org",
        HubIdentity("ann", "fineGrained", {"acme": "write"}, {"acme": frozenset({"repo.write"})}),
        "acme/space",
        None,
    ),
    (
        "fine-grained, repo.write on the Space",
        HubIdentity("ann", "fineGrained", {"acme": "write"}, {"acme/space": frozenset({"repo.write"})}),
        "acme/space",
        None,
    ),
    (
        "fine-grained, read only",
        HubIdentity("ann", "fineGrained", {"acme": "write"}, {"acme": frozenset({"repo.content.read"})}),
        "acme/space",
        "no repo.write on acme",
    ),
    (
        "fine-grained, repo.write on the user",
        HubIdentity("ann", "fineGrained", {}, {"ann": frozenset({"repo.write"})}),
        "ann/space",
        None,
    ),
    (
        "fine-grained, repo.write on the user only",
        HubIdentity("ann", "fineGrained", {"acme": "admin"}, {"ann": frozenset({"repo.write"})}),
        "acme/space",
        "no repo.write on acme",
    ),
]


@pytest.mark.parametrize(
    ("identity", "space_id", "reason"), [case[1:] for case in WRITE_CASES], ids=[case[0] for case in WRITE_CASES]
)
def test_who_may_write_a_space(identity: HubIdentity, space_id: str, reason: str | None) -> None:
    if reason is None:
        check_can_write(identity, space_id)
        return
    error = failure(lambda: check_can_write(identity, space_id))
    assert (error.code, error.transient) == ("HUB_TOKEN_FORBIDDEN", False)
    assert reason in error.message


def test_write_checks_agree_with_the_hub(hub: HubStandin) -> None:
    """What ``check_can_write`` refuses, the stand-in refuses too (its ``auth-check/write``)."""
    org = fresh("org")
    hub.add_model(f"{org}/probe", {"config.json": b"{}"})
    for role, scopes, expected in [
        ("write", None, True),
        ("read", None, False),
        ("fineGrained", FineGrained({org: ("repo.write",)}), True),
        ("fineGrained", FineGrained({org: ("repo.content.read",)}), False),
    ]:
        user = fresh("u")
        hub.add_token(f"hf_{user}", user, role=role, orgs={org: "write"}, fine_grained=scopes)
        identity = identify(endpoint=hub.url, token=f"hf_{user}")
        assert (identity.write_refusal(org) is None) is expected
        api = HfApi(endpoint=hub.url, token=f"hf_{user}")
        if expected:
            api.auth_check(f"{org}/probe", write=True)
        else:
            with pytest.raises(HfHubHTTPError) as refused:
                api.auth_check(f"{org}/probe", write=True)
            assert refused.value.response.status_code == 403


def test_every_check_passes_for_a_token_with_access(hub: HubStandin, world: dict[str, str]) -> None:
    identity = check_deploy_access(
        f"{world['org']}/train",
        model=RepoPin(world["model"], world["sha"]),
        datasets=[RepoPin(world["dataset"], "main"), RepoPin(world["private"], "main")],
        endpoint=hub.url,
        token=world["token"],
    )

    assert identity.name == world["user"]
    assert untouched(hub, world["token"])
    assert hub.requests_for(rf"^/api/models/{world['model']}/auth-check$")[-1].status == 200


def test_the_pinned_commit_is_what_the_read_check_resolves(hub: HubStandin, world: dict[str, str]) -> None:
    pin = RepoPin(world["dataset"], "main")
    assert check_can_read(pin, kind="dataset", endpoint=hub.url, token=world["token"]) == world["data_sha"]


FAILURES = [
    ("gated model not granted", "HUB_GATED"),
    ("gated model, fine-grained token without gated reads", "HUB_GATED"),
    ("pinned model commit missing", "HUB_NOT_FOUND"),
    ("model missing", "HUB_NOT_FOUND"),
    ("private dataset of another organisation", "HUB_NOT_FOUND"),
    ("dataset revision missing", "HUB_NOT_FOUND"),
    ("owner not writable", "HUB_TOKEN_FORBIDDEN"),
    ("revoked token", "HUB_TOKEN_INVALID"),
]


@pytest.mark.parametrize(("case", "code"), FAILURES, ids=[f[0] for f in FAILURES])
def test_a_failed_check_is_permanent_and_changes_nothing(
    hub: HubStandin, world: dict[str, str], case: str, code: str
) -> None:
    token, space_id = world["token"], f"{world['org']}/train"
    model, datasets = RepoPin(world["model"], world["sha"]), [RepoPin(world["dataset"], "main")]
    if case == "gated model not granted":
        other = fresh("u")
        token = f"hf_{other}"
        hub.add_token(token, other, orgs={world["org"]: "write"})
    elif case.startswith("gated model, fine-grained"):
        token = fresh("hf_")
        scopes = FineGrained({world["org"]: ("repo.write", "repo.content.read")}, can_read_gated=False)
        hub.add_token(token, world["user"], role="fineGrained", fine_grained=scopes)
    elif case == "pinned model commit missing":
        model = RepoPin(world["model"], "0" * 40)
    elif case == "model missing":
        model = RepoPin(f"{world['org']}/nothing", "main")
    elif case == "private dataset of another organisation":
        private = f"{fresh('org')}/secret"
        hub.add_dataset(private, DATA, private=True)
        datasets.append(RepoPin(private, "main"))
    elif case == "dataset revision missing":
        datasets.append(RepoPin(world["dataset"], "v9"))
    elif case == "owner not writable":
        space_id = f"{fresh('org')}/train"
    else:
        hub.revoke(token)

    error = failure(
        lambda: check_deploy_access(space_id, model=model, datasets=datasets, endpoint=hub.url, token=token)
    )

    assert (error.code, error.transient) == (code, False)
    assert untouched(hub, token)
    if case.startswith("gated model, fine-grained"):
        assert "fine-grained token may not read gated" in error.message


def test_an_identity_from_an_odd_whoami_reads_as_least_privilege() -> None:
    identity = parse_identity({"name": "ann", "orgs": [{"name": "acme"}, "junk"], "auth": {}})
    assert identity == HubIdentity("ann", "read", {"acme": "read"}, {}, True)
    assert identity.write_refusal("ann") == "the token is 'read'-only"
