"""Resident cards: the code is signed, typed forgivingly, voided by replacement, and never
names a member of another community; staff find residents by card, name, phone or number."""

import re

import pytest

from tenants.cards.actions import do_replace_card
from tenants.cards.codes import display_code, parse_code
from tenants.cards.queries import current_code, member_for_code
from tests.tenants.shop.conftest import give, inside, member


def test_code_round_trip_and_forgiving_typing(app, world, rollback):
    with inside(app, world) as _c1:
        red = member(world, "c1_red")
        code = current_code(red)
        assert re.fullmatch(r"\d+-[2-9A-HJ-NP-Z]{10}", code)
        assert member_for_code(code).id == red.id
        assert member_for_code(display_code(code)).id == red.id
        assert member_for_code(display_code(code).lower()).id == red.id
        number, mac = code.split("-")
        forged = mac[:-1] + ("A" if mac[-1] != "A" else "B")
        assert member_for_code(f"{number}-{forged}") is None
        blue = member(world, "c1_blue")
        assert member_for_code(f"{blue.number}-{mac}") is None  # red's signature, blue's number
        for junk in ("", "12", "x" * 100, None, 12, "12-OOOOOOOOOO"):
            assert member_for_code(junk) is None
        assert parse_code("  7 - abcde 23456 ") == (7, "ABCDE23456")


def test_replacing_a_card_voids_the_old_code(app, world, rollback):
    with inside(app, world):
        red = member(world, "c1_red")
        old = current_code(red)
        do_replace_card(red, member(world, "c1_grid").user)
        new = current_code(red)
        assert new != old
        assert member_for_code(old) is None
        assert member_for_code(new).id == red.id


def test_a_card_of_another_community_finds_nobody(app, world, rollback):
    with inside(app, world, "c2"):
        c2_code = current_code(member(world, "c2_red"))
    with inside(app, world, "c1"):
        assert member_for_code(c2_code) is None


@pytest.fixture
def assist(world):
    return f"/c/{world.slugs['c1']}/assist/"


def test_staff_scan_a_card_and_act_for_the_resident(web, app, world, assist):
    with inside(app, world):
        code = display_code(current_code(member(world, "c1_blue")))
    web.login("c1_grid")
    found = web.post_form(assist, {"code": code})
    assert found.status_code == 302
    assert found.headers["Location"].endswith(f"/assist/{world.member_id('c1_blue')}")
    hub = web.get(found.headers["Location"]).get_data(as_text=True)
    assert "c1 blue person" in hub
    assert f"/shop/for/{world.member_id('c1_blue')}" in hub  # the shop's assisted action


def test_wrong_codes_are_refused_then_throttled(web, world, assist):
    web.login("c1_grid")
    wrong = web.post_form(assist, {"code": "1-ABCDEFGHJK"})
    assert wrong.status_code == 404
    assert 'class="field__error"' in wrong.get_data(as_text=True)
    for _ in range(19):
        web.post_form(assist, {"code": "1-ABCDEFGHJK"})
    throttled = web.post_form(assist, {"code": "1-ABCDEFGHJK"})
    assert throttled.status_code == 429


def test_find_without_a_card_by_name_number_or_phone(web, app, world, assist):
    web.login("c1_grid")
    by_name = web.get(assist, query_string={"q": "blue person"}).get_data(as_text=True)
    assert f"/assist/{world.member_id('c1_blue')}" in by_name
    with inside(app, world):
        number = member(world, "c1_blue").number
    by_number = web.get(assist, query_string={"q": str(number)}).get_data(as_text=True)
    assert f"/assist/{world.member_id('c1_blue')}" in by_number
    other = web.get(assist, query_string={"q": "c2 blue"}).get_data(as_text=True)
    assert str(world.member_id("c2_blue")) not in other


def test_print_sheet_and_who_may_use_assisted_mode(web, app, world):
    base = f"/c/{world.slugs['c1']}"
    web.login("c1_red")
    assert web.get(f"{base}/assist/").status_code == 403
    assert web.get(f"{base}/cards/print").status_code == 403
    mine = web.get(f"{base}/cards/mine").get_data(as_text=True)
    with inside(app, world):
        assert display_code(current_code(member(world, "c1_red"))) in mine
    web.logout()
    web.login("c1_grid")
    sheet = web.get(f"{base}/cards/print").get_data(as_text=True)
    for name in ("c1 red person", "c1 blue person", "c1 green person"):
        assert name in sheet
    assert "c1 grid person" not in sheet  # residents only
    assert "data:image/png;base64," in sheet
    one = web.get(f"{base}/cards/print", query_string={"member": str(world.member_id("c1_red"))})
    assert one.get_data(as_text=True).count('data-test="resident-card"') == 1
    replaced = web.post_form(f"{base}/cards/{world.member_id('c1_red')}/replace", {},
                             page=f"{base}/assist/{world.member_id('c1_red')}")
    assert replaced.status_code == 302
    with inside(app, world):
        assert current_code(member(world, "c1_red")).split("-")[1] not in mine


def test_assisted_order_shows_on_the_residents_history_with_the_staff_member(web, app, world):
    from core.ledger.assisted import assisted_by
    from core.ledger.models import LedgerTransaction
    from core.ledger.queries import history

    with inside(app, world):
        give(world, "c1_green", 40)
    web.login("c1_grid")
    item = world.ids["item:c1:cooking oil"]
    sold = web.post_form(f"/c/{world.slugs['c1']}/shop/for/{world.member_id('c1_green')}",
                         {"item": str(item), "quantity": "1", "mode": "counter"})
    assert sold.status_code == 302
    with inside(app, world):
        from core.extensions import db

        green = member(world, "c1_green")
        entry = history(green)[0]
        assert entry.points == -40 and entry.actor_id == world.ids["user:c1_grid"]
        transaction = db.session.get(LedgerTransaction, {"community_id": world.ids["c1"], "id": entry.transaction_id})
        assert assisted_by(transaction).login == "c1_grid"
        assert transaction.member_id == green.id
