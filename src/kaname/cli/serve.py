"""`kaname serve` (the web dashboard) and `kaname users` (local accounts).

No `from __future__ import annotations` here: typer reads the option types at run time."""

import secrets
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import typer

from kaname.cli.render import console, err_console
from kaname.workspace import Workspace

users_app = typer.Typer(help="Local accounts of the web dashboard.", no_args_is_help=True)

DEMO_ADMIN = "admin"


def serve_workspace(
    ws: Workspace,
    host: str,
    port: int,
    secure_cookies: bool = False,
    schedule: bool = True,
    forwarded_allow_ips: str | None = None,
    warm: bool = True,
) -> None:
    """Run the dashboard; this process owns the warehouse while it runs. X-Forwarded-For is
    believed only from the proxies in `forwarded_allow_ips` (else login throttling by address
    could be dodged, or turned against others, by sending the header)."""
    import uvicorn

    from kaname.auth.accounts import Accounts
    from kaname.cli.remote import runner
    from kaname.web.app import create_app, start_warming
    from kaname.web.local import remove_run_file, write_run_file
    from kaname.web.scheduler import Scheduler

    app = create_app(ws, secure_cookies=secure_cookies)
    app.state.local_cli = runner(ws)
    # Take the warehouse now, not at the first page request: from here on this process owns it,
    # and a CLI write started meanwhile gets the "server is running" error instead of racing it.
    ws.warehouse.ensure_schema()
    if not Accounts(ws.appdb).has_users():
        console.print(
            f"No users yet: open [bold]http://{host}:{port}/setup[/] to create the first admin."
        )
    scheduler = Scheduler(ws, app.state.dashboard) if schedule else None
    if scheduler:
        scheduler.start()
    warmer = start_warming(app) if warm else None
    if not secure_cookies and not is_loopback(host):
        err_console.print(
            f"[yellow]Warning:[/] serving on {host}, reachable from other machines, without "
            "--secure-cookies: put Kaname behind HTTPS and add --secure-cookies, or passwords "
            "and session cookies cross the network in clear text."
        )
    # The CLI beside this server finds it here and sends its commands (cli/remote.py).
    token = app.state.local_token = write_run_file(ws.root, host, port)
    _remove_on_sigterm(lambda: remove_run_file(ws.root, token))
    console.print(f"Kaname dashboard on [bold]http://{host}:{port}/[/] (Ctrl+C stops it)")
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            proxy_headers=forwarded_allow_ips is not None,
            forwarded_allow_ips=forwarded_allow_ips or "",
        )
    finally:
        remove_run_file(ws.root, app.state.local_token)
        if scheduler:
            scheduler.stop()
        if warmer:
            warmer.stop()


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
        warm: Annotated[
            bool,
            typer.Option(
                "--warm/--no-warm",
                help="Build the heavy pages in the background at start and after each change.",
            ),
        ] = True,
    ) -> None:
        """Serve the web dashboard (every page needs a login; first run asks for an admin)."""
        ws = open_ws(workspace)
        try:
            serve_workspace(ws, host, port, secure_cookies, schedule, forwarded_allow_ips, warm)
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
