"""`funnelsync serve`: the live admin screen over one or many workspaces."""

from __future__ import annotations

import os
from pathlib import Path

import click

from funnelsync.sync.cli.common import err, exit_with, load, out
from funnelsync.sync.cli.exit_codes import ExitCode
from funnelsync.sync.workspace.loading import default_config_path


@click.command()
@click.option(
    "--config",
    "configs",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="A workspace config; repeat for more [default: $FUNNELSYNC_CONFIG or ./funnelsync.yaml].",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--allow-actions",
    is_flag=True,
    help="Allow retrying quarantined records and running a sync from the screen.",
)
def serve(configs: tuple[Path, ...], host: str, port: int, allow_actions: bool) -> None:
    """Serve the admin screen: health, leads, funnel, SLA and contract, per workspace.

    Read-only unless --allow-actions. Off loopback, FUNNELSYNC_SERVE_TOKEN must be set;
    open the screen once with ?token=<value>.
    """
    paths = tuple(load(path)[1].config_path for path in (configs or (default_config_path(),)))
    serve_screen(paths, host, port, allow_actions=allow_actions)


def serve_screen(configs: tuple[Path, ...], host: str, port: int, *, allow_actions: bool) -> None:
    """Serve the screen over ``configs`` until interrupted; exit 2 when it may not be."""
    import uvicorn

    from funnelsync.sync.serve.app import ServeSettings, create_app
    from funnelsync.sync.serve.security import (
        TOKEN_ENV,
        ServeRefusedError,
        require_token_off_loopback,
    )

    token = os.environ.get(TOKEN_ENV) or None
    try:
        require_token_off_loopback(host, token)
    except ServeRefusedError as exc:
        err().print(f"[red]{exc}[/red]")
        exit_with(ExitCode.config_error)
    app = create_app(ServeSettings(configs, allow_actions=allow_actions, token=token))
    out().print(f"The admin screen: http://{host}:{port}/ (Ctrl-C stops it)", markup=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")
