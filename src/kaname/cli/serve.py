"""`kaname serve` (the web dashboard) and `kaname users` (local accounts).

No `from __future__ import annotations` here: typer reads the option types at run time."""

import os
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import typer

from kaname.cli.render import console, err_console
from kaname.cli.words import word
from kaname.workspace import Workspace

users_app = typer.Typer(help="Local accounts of the web dashboard.", no_args_is_help=True)

DEMO_ADMIN = "admin"
WORKER_HEALTHCHECK_SECONDS = 60


def serve_workspace(
    ws: Workspace,
    host: str,
    port: int,
    secure_cookies: bool = False,
    schedule: bool = True,
    forwarded_allow_ips: str | None = None,
    workers: int = 1,
) -> None:
    """Run the dashboard; this process owns the warehouse while it runs. X-Forwarded-For is
    believed only from the proxies in `forwarded_allow_ips` (else login throttling by address
    could be dodged, or turned against others, by sending the header). With `workers` above 1
    the stores must be shared ones (cli/workers.py)."""
    import uvicorn

    from kaname.auth.accounts import Accounts
    from kaname.cli.workers import ENV, build_app, refusal, settings
    from kaname.web.local import remove_run_file, write_run_file

    refused = refusal(ws.config, ws.root, workers)
    if refused is not None:
        raise refused
    app, scheduler = build_app(ws, secure_cookies, schedule) if workers <= 1 else (None, None)
    # Take the warehouse now, not at the first page request: from here on this process owns it,
    # and a CLI write started meanwhile gets the "server is running" error instead of racing it.
    ws.warehouse.ensure_schema()
    if not Accounts(ws.appdb).has_users():
        console.print(
            f"No users yet: open [bold]http://{host}:{port}/setup[/] to create the first admin."
        )
    if scheduler:
        scheduler.start()
    if not secure_cookies and not is_loopback(host):
        err_console.print(
            f"[yellow]Warning:[/] serving on {host}, reachable from other machines, without "
            "--secure-cookies: put Kaname behind HTTPS and add --secure-cookies, or passwords "
            "and session cookies cross the network in clear text."
        )
    # The CLI beside this server finds it here and sends its commands (cli/remote.py).
    token = write_run_file(ws.root, host, port)
    if app is not None:
        app.state.local_token = token
    _remove_on_sigterm(lambda: remove_run_file(ws.root, token))
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        "proxy_headers": forwarded_allow_ips is not None,
        "forwarded_allow_ips": forwarded_allow_ips or "",
    }
    if workers > 1:
        # The workers open the workspace themselves: this process only watches over them.
        os.environ[ENV] = settings(ws.root, secure_cookies, schedule)
        ws.close()
        url = f"[bold]http://{host}:{port}/[/]"
        text = "Kaname dashboard on {url} with {n} workers (Ctrl+C stops it)"
        console.print(word(text, ws.config.language, url=url, n=workers))
    else:
        console.print(f"Kaname dashboard on [bold]http://{host}:{port}/[/] (Ctrl+C stops it)")
    try:
        if workers > 1:
            uvicorn.run(
                "kaname.cli.main:create_worker_app",
                factory=True,
                workers=workers,
                # A new worker imports Kaname before it answers uvicorn's health check: on a
                # busy machine that takes longer than uvicorn's 5 s, which would kill and
                # restart it forever.
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
                **options,
            )
        elif app is not None:
            uvicorn.run(app, **options)
    finally:
        remove_run_file(ws.root, token)
        if scheduler:
            scheduler.stop()


def _remove_on_sigterm(cleanup: Any) -> None:
    """uvicorn stops on SIGTERM and then raises it again, which ends the process before any
    `finally`: clean up first, then die of the signal as before."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def stop(sig: int, frame: Any) -> None:
        cleanup()
        signal.signal(sig, signal.SIG_DFL)
        signal.raise_signal(sig)

    signal.signal(signal.SIGTERM, stop)


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def demo_admin(ws: Workspace) -> str:
    """Create (or reset) the demo's admin with a one-time password that must be changed."""
    from kaname.auth.accounts import Accounts

    accounts = Accounts(ws.appdb)
    password = secrets.token_urlsafe(12)
    if any(u["username"] == DEMO_ADMIN for u in accounts.users()):
        accounts.set_password(DEMO_ADMIN, password, "demo")
        accounts.update_user(DEMO_ADMIN, "demo", role="admin", active=True)
        from kaname.store.web_models import User

        with ws.appdb.session() as s:
            user = s.query(User).filter(User.username == DEMO_ADMIN).one()
            user.must_change_password = True
    else:
        accounts.create_user(
            DEMO_ADMIN,
            password,
            role="admin",
            display_name="Demo admin",
            actor="demo",
            must_change_password=True,
        )
    return password


def register(app: typer.Typer, workspace_opt: Any, open_ws: Any, fail: Any, errors: Any) -> None:
    @app.command()
    def serve(
        workspace: workspace_opt = None,
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
        secure_cookies: Annotated[
            bool, typer.Option(help="Mark cookies Secure (behind HTTPS).")
        ] = False,
        schedule: Annotated[
            bool, typer.Option("--schedule/--no-schedule", help="Run scheduled jobs.")
        ] = True,
        forwarded_allow_ips: Annotated[
            Optional[str],  # noqa: UP045 - typer needs Optional at runtime on 3.11
            typer.Option(
                help="Addresses of reverse proxies whose X-Forwarded-For is believed "
                "(comma-separated); without it the header is ignored."
            ),
        ] = None,
        workers: Annotated[
            int,
            typer.Option(
                min=1,
                help="Server processes (above 1 needs the app DB on PostgreSQL and a server "
                "warehouse; docs/deploy.md).",
            ),
        ] = 1,
    ) -> None:
        """Serve the web dashboard (every page needs a login; first run asks for an admin)."""
        ws = open_ws(workspace)
        try:
            serve_workspace(ws, host, port, secure_cookies, schedule, forwarded_allow_ips, workers)
        except errors as exc:
            raise fail(exc) from exc

    @users_app.command("list")
    def users_list(workspace: workspace_opt = None) -> None:
        """List the users with role and department."""
        from kaname.auth.accounts import Accounts

        for u in Accounts(open_ws(workspace).appdb).users():
            state = "" if u["active"] else " (disabled)"
            console.print(f"{u['username']:<20} {u['role']:<8} {u['department']}{state}")

    @users_app.command("add")
    def users_add(
        username: str,
        workspace: workspace_opt = None,
        role: Annotated[
            Literal["viewer", "editor", "admin"], typer.Option(help="What the user may do.")
        ] = "viewer",
        department: Annotated[
            str,
            typer.Option(help="executive, marketing, inside_sales, sales or customer_success."),
        ] = "executive",
        password: Annotated[
            Optional[str],  # noqa: UP045 - typer needs Optional at runtime on 3.11
            typer.Option(help="Password (asked without echo when left out)."),
        ] = None,
    ) -> None:
        """Add a user (the CLI needs no login: it runs with the workspace owner's rights)."""
        from kaname.auth.accounts import AccountError, Accounts

        secret = password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            Accounts(open_ws(workspace).appdb).create_user(
                username, secret, role=role, department=department, actor="cli"
            )
        except AccountError as exc:
            raise fail(exc) from exc
        console.print(f"Added {username} ({role}, {department}).")

    @users_app.command("password")
    def users_password(username: str, workspace: workspace_opt = None) -> None:
        """Set a user's password (asked without echo); signs the user out everywhere."""
        from kaname.auth.accounts import AccountError, Accounts

        secret = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
        try:
            Accounts(open_ws(workspace).appdb).set_password(username, secret, "cli")
        except AccountError as exc:
            raise fail(exc) from exc
        err_console.print(f"Password of {username} changed.")

    app.add_typer(users_app, name="users")


__all__ = ["DEMO_ADMIN", "Path", "demo_admin", "register", "serve_workspace"]
