"""The ``linli`` console script: Flask's CLI group bound to our app factory.

``linli db upgrade``, ``linli users create-admin LOGIN --password PW``, ``linli demo``,
``linli run --port N``; capabilities add their own groups in ``init_app``.
"""

import click
from flask.cli import FlaskGroup, with_appcontext

from core.app import create_app


@click.group(cls=FlaskGroup, create_app=create_app)
def main():
    """Linli: community points with a shared merchant marketplace."""


@main.group()
def users():
    """Manage users."""


@users.command("create-admin")
@click.argument("login")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--name", default=None, help="Display name (defaults to the login).")
@with_appcontext
def create_admin(login, password, name):
    """Create a platform admin."""
    from core.identity.actions import IdentityError, do_create_user
    from core.transactions import atomic

    if len(password) < 8:
        raise click.BadParameter("at least 8 characters", param_hint="--password")
    try:
        with atomic():
            do_create_user(login, password, name or login, platform_admin=True)
    except IdentityError as exc:
        raise click.ClickException(f"login {login!r} is already taken") from exc
    click.echo(f"platform admin {login} created")


@main.command()
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet.")
@with_appcontext
def demo(if_empty):
    """Load demo data (two districts, three communities, two merchants) and print logins."""
    from core.demo import load_demo

    load_demo(if_empty=if_empty)
