from core.identity.balances import register_balance_source


def init_app(app):
    from core.api.framework import api
    from core.ledger import guards  # noqa: F401  (registers the append-only guard)
    from core.ledger.api import blp
    from core.ledger.cli import ledger_cli
    from core.ledger.queries import balance

    register_balance_source(balance)
    app.cli.add_command(ledger_cli)
    api.register_blueprint(blp)
