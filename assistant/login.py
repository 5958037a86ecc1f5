"""The chat's login: passwords checked in constant time, failures throttled, open routes closed.

Gradio 6 takes `auth` as pairs or as a callable `(username, password) -> bool`, called by
its POST /login route; it never sees the caller's address. So two parts work together:

- `LoginGuard`, an ASGI middleware given to the FastAPI app (`launch(app_kwargs=...)`),
  records the client address for the request, answers 429 with Retry-After to an address
  that is locked out, and closes the routes Gradio leaves open without a login that
  expose or change anything (its own OpenAPI schema, cancel/reset of queued events,
  heartbeats, streams, the app id, run history).
- `Authenticator`, the callable: after `free` failures for a user or an address, each
  further failure locks that key for a doubling delay (30 s, 1 min, 2 min … at most 15 min);
  while locked, even the right password is refused. A success clears both keys.

Counters live in memory: a restart clears them, and several server processes each keep
their own. See docs/RELIABILITY.md for the limits.
"""

from __future__ import annotations

import contextvars
import hmac
import json
import threading
import time
from collections.abc import Callable

CLIENT: contextvars.ContextVar[str] = contextvars.ContextVar("login_client", default="")

# Open without a login in Gradio 6.x, and closed by `LoginGuard` when login is on.
CLOSED_PREFIXES = (
    "/openapi.json",
    "/docs",
    "/redoc",
    "/gradio_api/openapi.json",
    "/gradio_api/reset",
    "/gradio_api/cancel",
    "/gradio_api/heartbeat/",
    "/gradio_api/stream/",
    "/gradio_api/app_id",
    "/gradio_api/runs",
    "/gradio_api/run-history",
    "/gradio_api/vibe",
    "/gradio_api/undo-vibe-edit",
    "/gradio_api/custom_component/",
    "/monitoring",
)


class LoginThrottle:
    """Failures per key (a user, an address) and how long each key is locked."""

    def __init__(
        self,
        free: int = 5,
        base_s: float = 30.0,
        max_s: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free, self.base_s, self.max_s, self.clock = free, base_s, max_s, clock
        self._failures: dict[str, int] = {}
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, *keys: str) -> float:
        """Seconds until every key may try again (0: now)."""
        now = self.clock()
        with self._lock:
            return max([self._until.get(k, 0.0) - now for k in keys] + [0.0])

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                n = self._failures.get(key, 0) + 1
                self._failures[key] = n
                if n >= self.free:
                    delay = min(self.max_s, self.base_s * 2 ** (n - self.free))
                    self._until[key] = now + delay

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
                self._until.pop(key, None)


class Authenticator:
    """Gradio's `auth` callable over fixed user/password pairs, with throttling."""

    def __init__(self, users: list[tuple[str, str]], throttle: LoginThrottle | None = None):
        self.users = dict(users)
        self.throttle = throttle or LoginThrottle()

    def __call__(self, username: str, password: str) -> bool:
        keys = (f"user:{username}", f"addr:{CLIENT.get()}")
        if self.throttle.wait(*keys) > 0:
            self.throttle.failed(*keys)  # trying while locked extends the lock
            return False
        expected = self.users.get(username)
        ok = expected is not None and hmac.compare_digest(
            password.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
        )
        (self.throttle.succeeded if ok else self.throttle.failed)(*keys)
        return ok


class LoginGuard:
    """ASGI middleware: the client address for `Authenticator`, lockouts, closed routes."""

    def __init__(self, app, throttle: LoginThrottle) -> None:
        self.app = app
        self.throttle = throttle

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = (scope.get("client") or ("",))[0] or ""
        CLIENT.set(host)
        path = scope.get("path", "")
        gradio = scope.get("app")
        login_on = getattr(gradio, "auth", None) is not None
        if login_on and path.rstrip("/").endswith("/login") and scope.get("method") == "POST":
            wait = self.throttle.wait(f"addr:{host}")
            if wait > 0:
                await _reply(send, 429, "too many failed logins: try again later", wait)
                return
        if login_on and path.startswith(CLOSED_PREFIXES) and not _signed_in(scope, gradio):
            await _reply(send, 401, "Not authenticated")
            return
        await self.app(scope, receive, send)


def _signed_in(scope, gradio) -> bool:
    cookies: dict[str, str] = {}
    for name, value in scope.get("headers") or []:
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                cookies[key] = val
    cookie_id = getattr(gradio, "cookie_id", "")
    tokens = getattr(gradio, "tokens", {}) or {}
    token = cookies.get(f"access-token-{cookie_id}") or cookies.get(
        f"access-token-unsecure-{cookie_id}"
    )
    return bool(token) and token in tokens


async def _reply(send, status: int, detail: str, retry_after: float = 0.0) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after:
        headers.append((b"retry-after", str(max(1, round(retry_after))).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def login_parts(users: list[tuple[str, str]] | None) -> tuple[Authenticator | None, dict]:
    """Gradio's `auth` and `app_kwargs` for these users (no login: (None, {}))."""
    if not users:
        return None, {}
    from starlette.middleware import Middleware

    throttle = LoginThrottle()
    return Authenticator(users, throttle), {
        "middleware": [Middleware(LoginGuard, throttle=throttle)]
    }


__all__ = ["CLOSED_PREFIXES", "Authenticator", "LoginGuard", "LoginThrottle", "login_parts"]
