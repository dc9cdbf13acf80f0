import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.extensions import db
from core.tenancy.context import all_communities
from core.tenancy.models import Community

ledger_cli = AppGroup("ledger", help="Check the points ledger.")


@ledger_cli.command("verify")
@click.option("--community", "slug", default=None, help="Only this community (its slug).")
def verify_command(slug):
    """Recompute balances from postings; exit 1 naming every problem found."""
    from core.ledger.queries import verify

    with all_communities():
        ids = None
        if slug:
            community = db.session.scalar(select(Community).where(Community.slug == slug))
            if community is None:
                raise click.ClickException(f"no community {slug!r}")
            ids = [community.id]
        problems = verify(ids)
    if problems:
        for problem in problems:
            click.echo(f"PROBLEM {problem}", err=True)
        raise SystemExit(1)
    click.echo("ledger ok")
