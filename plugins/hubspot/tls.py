"""Which CA certificates the connector trusts for HTTPS.

urllib3 (under hubspot-api-client) reads neither ``REQUESTS_CA_BUNDLE`` nor a setting of
its own, so the connector picks the file: the ``ca_bundle`` setting, else
``REQUESTS_CA_BUNDLE``, else ``SSL_CERT_FILE`` from the environment, else none (the
system's store). Plain-HTTP addresses (the built-in emulator) need none.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from funnelsync.connector import ConnectorError

ENVIRONMENT = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
"""Variables naming a CA file, in the order they are tried."""


def ca_file(
    setting: str | None,
    base_url: str,
    workspace_dir: Path,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """The CA file to trust for ``base_url``; :class:`ConnectorError` if it is missing."""
    if not base_url.lower().startswith("https://"):
        return None
    environ = os.environ if environ is None else environ
    if setting:
        source, path = "settings.ca_bundle", workspace_dir / Path(setting).expanduser()
    else:
        found = next(((name, environ[name]) for name in ENVIRONMENT if environ.get(name)), None)
        if found is None:
            return None
        source, path = f"${found[0]}", Path(found[1]).expanduser()
    if not path.is_file():
        raise ConnectorError(f"{source} names {str(path)!r}, which is not a CA certificate file")
    return str(path)
