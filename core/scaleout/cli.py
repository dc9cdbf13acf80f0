import click
from flask.cli import AppGroup

citus_cli = AppGroup("citus", help="Scale the database out with Citus (deploy/SCALING.md).")

HEADER = """\
-- Citus distribution plan, generated from the models by `linli citus statements`.
-- Run on the coordinator as the schema owner, after `CREATE EXTENSION citus` and
-- `SELECT citus_add_node(...)` for every worker, and after `linli db upgrade`.
-- Tables that already hold rows are copied to the shards (see deploy/SCALING.md)."""


@citus_cli.command("statements")
def statements_command():
    """Print create_reference_table / create_distributed_table for every table.

    Exits 1, printing nothing but the problems, if a tenant table cannot be distributed."""
    from core.scaleout.citus import fit_problems, statements

    problems = fit_problems()
    if problems:
        for problem in problems:
            click.echo(f"PROBLEM {problem}", err=True)
        raise SystemExit(1)
    click.echo(HEADER)
    for line in statements():
        click.echo(line)
