"""Alembic environment. Migrations run as the schema owner: ``MIGRATIONS_DATABASE_URL``
when set (PostgreSQL in production, where the app's own role owns nothing), else the app's
database. After every upgrade the database-level guards are re-applied from the models
(``core.database_guards``): row-level security on every tenant table and the like."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import create_engine

config = context.config
# keep the app's loggers: an upgrade run inside the app's process (tests, `linli db upgrade`)
# must not silence them
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    url = current_app.config.get("MIGRATIONS_DATABASE_URL")
    if url:
        return create_engine(url)
    return current_app.extensions["migrate"].db.engine


def get_metadata():
    return current_app.extensions["migrate"].db.metadata


def run_migrations_offline():
    context.configure(
        url=get_engine().url, target_metadata=get_metadata(), literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args["render_as_batch"] = True
    conf_args["compare_type"] = True

    engine = get_engine()
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
        with context.begin_transaction():
            context.run_migrations()
            if not getattr(config.cmd_opts, "autogenerate", False):
                from core.database_guards import apply_guards

                apply_guards(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
