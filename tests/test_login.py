"""Login: throttling per user and per address, and the routes closed without a login."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from assistant.login import CLOSED_PREFIXES, Authenticator, LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_after_five_failures_a_doubling_lockout_even_for_the_right_password():
    clock = Clock()
    auth = Authenticator([("alice", "secret")], LoginThrottle(free=5, base_s=30, clock=clock))
    for _ in range(4):
        assert not auth("alice", "wrong")
    assert auth.throttle.wait("user:alice") == 0
    assert not auth("alice", "wrong")  # the 5th failure locks for 30 s
    assert auth.throttle.wait("user:alice") == 30
    assert not auth("alice", "secret")  # locked: refused, and the lock grows
    assert auth.throttle.wait("user:alice") == 60
    clock.now += 61
    assert auth("alice", "secret")  # after the wait, the right password works and clears it
    assert auth.throttle.wait("user:alice") == 0


def test_the_lock_is_capped_and_per_key():
    clock = Clock()
    throttle = LoginThrottle(free=1, base_s=30, max_s=900, clock=clock)
    for _ in range(20):
        throttle.failed("user:bob")
    assert throttle.wait("user:bob") == 900
    assert throttle.wait("user:carol") == 0


def test_unknown_users_and_non_ascii_passwords_are_refused_without_error():
    auth = Authenticator([("alice", "密码")])
    assert auth("alice", "密码") and not auth("mallory", "密码") and not auth("alice", "\ud800")


@pytest.fixture(scope="module")
def login_app(seeded_dir, tmp_path_factory):
    from test_ui_server import private_settings, running_app

    settings = private_settings(seeded_dir, tmp_path_factory.mktemp("login"), users="alice:secret")
    with running_app(settings) as (url, _):
        yield url


def _post_login(url: str, user: str, password: str) -> tuple[int, dict]:
    body = urllib.parse.urlencode({"username": user, "password": password}).encode()
    try:
        with urllib.request.urlopen(f"{url}login", data=body, timeout=10) as r:
            return r.status, dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "openapi.json"),
        ("POST", "gradio_api/reset"),
        ("POST", "gradio_api/cancel"),
        ("GET", "gradio_api/heartbeat/abc"),
        ("GET", "gradio_api/app_id"),
        ("GET", "gradio_api/runs"),
        ("POST", "gradio_api/stream/abc"),
        ("GET", "config"),
        ("GET", "gradio_api/info"),
        ("POST", "gradio_api/queue/join"),
    ],
)
def test_routes_that_expose_or_change_anything_need_a_login(login_app, method, path):
    data = json.dumps({}).encode() if method == "POST" else None
    request = urllib.request.Request(
        f"{login_app}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(request, timeout=10)
    assert denied.value.code == 401


def test_the_login_page_itself_stays_open(login_app):
    with urllib.request.urlopen(login_app, timeout=10) as r:
        assert r.status == 200


def test_an_address_with_five_failures_is_told_to_wait(login_app):
    assert _post_login(login_app, "alice", "secret")[0] == 200
    codes = [_post_login(login_app, "alice", f"guess{i}")[0] for i in range(5)]
    assert codes == [400] * 5
    status, headers = _post_login(login_app, "alice", "secret")
    assert status == 429 and int(headers.get("retry-after", headers.get("Retry-After"))) >= 1


def test_closed_prefixes_are_paths():
    assert all(p.startswith("/") for p in CLOSED_PREFIXES)
