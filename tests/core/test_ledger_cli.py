"""``linli ledger verify``: clean ledgers pass, a corrupted cached balance is named."""

from sqlalchemy import Uuid, bindparam, create_engine, select, text

from core.extensions import db
from core.identity.models import Member
from core.ledger import actions as ledger
from core.ledger.queries import wallet_account
from core.tenancy.context import use_community
from core.transactions import atomic


def verify(app, *args):
    return app.test_cli_runner().invoke(args=["ledger", "verify", *args])


def red_with_points(world, points):
    with use_community(world.ids["c1"]), atomic():
        red = db.session.scalar(select(Member).where(Member.id == world.member_id("c1_red")))
        ledger.award(world.community("c1"), red, points, reason="r")
        return wallet_account(red).id


def test_a_clean_ledger_verifies(app, world, ctx):
    red_with_points(world, 5)
    result = verify(app, "--community", world.slugs["c1"])
    assert result.exit_code == 0, result.output
    assert "ledger ok" in result.stdout
    result = verify(app)
    assert result.exit_code == 0, result.output


def test_a_corrupted_cached_balance_fails_and_names_the_account(app, world, ctx):
    wallet_id = red_with_points(world, 5)
    with use_community(world.ids["c1"]), atomic():
        # behind the ledger's back: raw SQL, as a bug or a hand edit would
        corrupt = text("UPDATE ledger_accounts SET balance = 7 WHERE id = :id").bindparams(
            bindparam("id", type_=Uuid))
        db.session.execute(corrupt, {"id": wallet_id})
    result = verify(app, "--community", world.slugs["c1"])
    assert result.exit_code == 1
    assert f"wallet:{world.member_id('c1_red')}: cached balance 7 != postings 5" in result.stderr
    assert "ledger ok" not in result.output
    # the whole platform too; another community alone is still clean
    assert verify(app).exit_code == 1
    assert verify(app, "--community", world.slugs["c2"]).exit_code == 0


def test_an_unknown_community_is_an_error(app, ctx):
    result = verify(app, "--community", "no-such-place")
    assert result.exit_code == 1
    assert "no community 'no-such-place'" in result.output


def test_verify_is_clean_after_loading_the_demo_into_a_fresh_sqlite_database(app, tmp_path):
    from core.app import create_app
    from core.cli import main
    from core.database_guards import apply_guards

    demo = create_app({
        "TESTING": True, "SECRET_KEY": "demo-test", "RATELIMIT_STORAGE_URI": "memory://",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.db'}",
    })
    try:
        with demo.app_context():
            with db.engine.begin() as connection:
                db.metadata.create_all(connection)
                apply_guards(connection)
        runner = demo.test_cli_runner()
        loaded = runner.invoke(main, ["demo"])
        assert loaded.exit_code == 0, loaded.output
        result = runner.invoke(main, ["ledger", "verify"])
        assert result.exit_code == 0, result.output
        assert "ledger ok" in result.stdout
        # and it is the demo's database that was checked
        engine = create_engine(f"sqlite:///{tmp_path / 'demo.db'}")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM communities")).scalar() == 3
        engine.dispose()
    finally:
        with demo.app_context():
            db.engine.dispose()
        # creating an app made its Celery the default and current one: give them back
        app.extensions["celery"].set_default()
        app.extensions["celery"].set_current()
