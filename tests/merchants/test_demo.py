"""`linli demo` loads the marketplace too: the two demo merchants partner with demo
communities, 老张面馆's meal coupon is open to two of them, 康健大药房 has a medicine kit."""

import tempfile

from sqlalchemy import create_engine, select


def test_demo_data_has_partners_and_offers(app):
    from core.app import create_app
    from core.database_guards import apply_guards
    from core.demo import load_demo
    from core.extensions import db
    from core.tenancy.context import use_community
    from merchants.offers.models import Offer
    from merchants.offers.queries import open_offers

    path = tempfile.mkdtemp(prefix="linli-demo-")
    session_app = app
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}/demo.db", "TESTING": True,
                      "SECRET_KEY": "demo", "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        engine = create_engine(f"sqlite:///{path}/demo.db")
        with engine.begin() as connection:
            db.metadata.create_all(connection)
            apply_guards(connection)
        engine.dispose()
        ctx = load_demo()
        titles = {o.title for o in db.session.scalars(select(Offer))}
        assert {"午餐八折券", "家庭小药箱"} <= titles
        seen = {}
        for slug in ("xinhua", "wuyi", "shuijing"):
            with use_community(ctx["communities"][slug].id):
                seen[slug] = {o.title for o, _m in open_offers(ctx["communities"][slug].id)}
        assert "午餐八折券" in seen["xinhua"] and "午餐八折券" in seen["wuyi"]
        assert "午餐八折券" not in seen["shuijing"] and "家庭小药箱" in seen["shuijing"]
        assert any(login == "laozhang-noodles-staff" for login, _what in ctx["logins"])
        db.session.remove()
    # a second app made itself Celery's default: hand that back to the suite's app
    session_app.extensions["celery"].set_default()
    session_app.extensions["celery"].set_current()
