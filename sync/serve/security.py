"""Who may use the screen: a token off loopback, CSRF on every action, actions opt-in."""

from __future__ import annotations

import hmac
import ipaddress
import secrets

TOKEN_ENV = "FUNNELSYNC_SERVE_TOKEN"  # noqa: S105 - the variable's name, not a token
TOKEN_COOKIE = "funnelsync_token"  # noqa: S105 - the cookie's name
CSRF_FIELD = "csrf"


class ServeRefusedError(ValueError):
    """The screen cannot be served as asked (e.g. off loopback without a token)."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_token_off_loopback(host: str, token: str | None) -> None:
    """Refuse to bind ``host`` beyond loopback unless a token guards every page."""
    if not is_loopback(host) and not token:
        raise ServeRefusedError(
            f"serving on {host} (not loopback) needs a token: set {TOKEN_ENV} to a long "
            "random value and open the screen with ?token=<value> once"
        )


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented secret with the expected one."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def new_csrf_secret() -> str:
    """A fresh secret for one server process; forms carry it, POSTs must return it."""
    return secrets.token_urlsafe(32)
