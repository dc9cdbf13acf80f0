"""``linli demo`` shows settlement: last month's statement waiting for 老张面馆 to check it,
and the month before's statement paid and closed."""

import tempfile

from sqlalchemy import create_engine, select


def test_demo_has_an_open_and_a_closed_statement(app):
    from core.app import create_app
    from core.database_guards import apply_guards
    from core.demo import load_demo
    from core.extensions import db
    from core.tenancy.context import all_communities
    from core.types import utcnow
    from merchants.settlement.models import Statement, StatementPayment
    from merchants.settlement.periods import month_of, previous_month

    path = tempfile.mkdtemp(prefix="linli-demo-settle-")
    session_app = app
    demo = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}/demo.db", "TESTING": True,
                       "SECRET_KEY": "demo", "RATELIMIT_STORAGE_URI": "memory://"})
    try:
        with demo.app_context():
            engine = create_engine(f"sqlite:///{path}/demo.db")
            with engine.begin() as connection:
                db.metadata.create_all(connection)
                apply_guards(connection)
            engine.dispose()
            load_demo()
            last = previous_month(month_of(utcnow(), "Asia/Shanghai"))
            with all_communities():
                rows = {s.month: s for s in db.session.scalars(select(Statement))}
                assert set(rows) == {last, previous_month(last)}
                assert (rows[last].status.value, rows[last].vouchers, rows[last].amount_minor) == ("issued", 3, 3000)
                older = rows[previous_month(last)]
                assert (older.status.value, older.vouchers) == ("closed", 2)
                payment = db.session.scalar(select(StatementPayment))
                assert payment.method.value == "offline" and payment.amount_minor == 2000
            db.session.remove()
    finally:
        session_app.extensions["celery"].set_default()
