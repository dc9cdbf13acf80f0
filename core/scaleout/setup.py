def init_app(app):
    from core.scaleout.cli import citus_cli

    app.cli.add_command(citus_cli)
