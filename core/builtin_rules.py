"""Rule kinds that ship with funnelsync, registered like any plugin's (entry point ``rules``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from funnelsync.hookspecs import hookimpl
from funnelsync.models import Lead
from funnelsync.rule_kinds import RuleKind

FREE_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "proton.me",
        "protonmail.com",
        "mail.com",
        "yandex.ru",
        "qq.com",
        "163.com",
    }
)
"""Well-known free mailbox providers (a personal address rather than a work one)."""


class EmailDomain(RuleKind):
    """The email's domain is a free provider (``free: true``) or one of ``domains``."""

    name = "email_domain"

    def check_args(self, field: str | None, args: Mapping[str, Any]) -> None:
        """Exactly one of ``free: true`` or ``domains: [..]``."""
        if set(args) == {"free"} and args["free"] is True:
            return
        domains = args.get("domains")
        if set(args) == {"domains"} and isinstance(domains, list) and domains:
            return
        raise ValueError("email_domain takes either `free: true` or `domains: [a.com, …]`")

    def holds(self, lead: Lead, field: str | None, args: Mapping[str, Any]) -> bool:
        """Whether the lead's email domain is in the set."""
        domain = (lead.email or "").rpartition("@")[2]
        if args.get("free"):
            return domain in FREE_EMAIL_DOMAINS
        return domain in {str(d).lower() for d in args.get("domains", ())}

    def describe(self, field: str | None, args: Mapping[str, Any]) -> str:
        """``free email domain`` or ``email domain in a.com, b.com``."""
        if args.get("free"):
            return "free email domain"
        return f"email domain in {', '.join(map(str, args.get('domains', ())))}"


@hookimpl
def funnelsync_register_rule_kinds() -> list[RuleKind]:
    """funnelsync's own rule kinds."""
    return [EmailDomain()]
