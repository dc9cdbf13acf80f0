"""``linli settlements close --month YYYY-MM``: close a finished month by hand (a missed run,
a first install). Idempotent like the scheduled close."""

import click
from flask.cli import AppGroup

settlements_cli = AppGroup("settlements", help="Monthly statements with merchants.")


@settlements_cli.command("close")
@click.option("--month", required=True, help="The month to close, YYYY-MM.")
@click.option("--community", "slugs", multiple=True, help="Only this community (its slug); repeatable.")
def close_command(month, slugs):
    """Draw the month's statements in every community (or the ones named)."""
    from merchants.errors import MarketError
    from merchants.settlement.closing import communities_for, do_close_month

    targets = communities_for(slugs or None)
    if slugs and len(targets) != len(set(slugs)):
        missing = sorted(set(slugs) - {c.slug for c in targets})
        raise click.ClickException(f"no community {', '.join(missing)}")
    names = {c.id: c.slug for c in targets}
    try:
        done = do_close_month(month, communities=targets)
    except MarketError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from exc
    for closed in done:
        state = "already closed" if closed.already else "closed"
        click.echo(f"{names[closed.community_id]} {month}: {state}, "
                   f"{closed.statements} statements, {closed.vouchers} vouchers")
    created = sum(c.statements for c in done if not c.already)
    click.echo(f"{month}: {created} new statements in {len(done)} communities")
