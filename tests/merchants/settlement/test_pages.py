"""Statement pages on both sides, driven like a browser (forms with CSRF tokens), in Chinese
(the default) and English; the printable view, CSV and XLSX."""

import csv
import io

from openpyxl import load_workbook

from tests.helpers import WebClient
from tests.merchants.settlement.world import WORLD_MONTH


def m_page(world, m="m1", c="c1", action=""):
    return f"/m/{world.slugs[m]}/statements/{world.ids[f'statement:{m}:{c}']}{action}"


def c_page(world, m="m1", c="c1", action=""):
    return f"/c/{world.slugs[c]}/statements/{world.ids[f'statement:{m}:{c}']}{action}"


def english(app, world):
    return WebClient(app, world, language="en")


def test_the_merchant_lists_its_statements_in_both_languages(app, web, world):
    web.login("m1_owner")
    home = web.get(f"/m/{world.slugs['m1']}/").get_data(as_text=True)
    assert f"/m/{world.slugs['m1']}/statements/" in home
    page = web.get(f"/m/{world.slugs['m1']}/statements/").get_data(as_text=True)
    assert 'lang="zh-Hans"' in page
    assert WORLD_MONTH in page and "Community c1" in page and "¥8.00" in page
    assert "Community c2" not in page  # m1 redeemed nothing in c2 that month
    en = english(app, world)
    en.login("m1_owner")
    page = en.get(f"/m/{world.slugs['m1']}/statements/?month={WORLD_MONTH}").get_data(as_text=True)
    assert 'lang="en"' in page and "Monthly statements" in page and "CN¥8.00" in page
    assert "waiting for the merchant" in page
    empty = en.get(f"/m/{world.slugs['m1']}/statements/?month=2023-11").get_data(as_text=True)
    assert 'data-test="no-statements"' in empty


def test_staff_and_residents_may_not_read_statements(web, world):
    web.login("m1_staff")
    assert web.get(f"/m/{world.slugs['m1']}/statements/").status_code == 403
    assert web.get(m_page(world)).status_code == 403
    web.logout()
    web.login("c1_red")
    assert web.get(f"/c/{world.slugs['c1']}/statements/").status_code == 403
    assert web.get(c_page(world, action="/csv")).status_code == 403


def test_dispute_credit_note_confirm_approve_and_pay_on_the_pages(app, web, world):
    en = english(app, world)
    en.login("m1_owner")
    page = en.get(m_page(world)).get_data(as_text=True)
    assert "Check the statement" in page and page.count('data-test="dispute-line"') == 2
    # a dispute without a reason is refused and says so
    refused = en.post_form(m_page(world, action="/dispute"), {"reason": ""}, page=m_page(world))
    assert refused.status_code == 422 and "error-summary" in refused.get_data(as_text=True)
    import re

    line_id = re.search(r'name="lines" value="([0-9a-f-]+)"', page).group(1)
    sent = en.post_form(m_page(world, action="/dispute"), {"reason": "不是本店核销的", "lines": [line_id]},
                        page=m_page(world))
    assert sent.status_code == 302
    page = en.get(m_page(world)).get_data(as_text=True)
    assert 'data-status="disputed"' in page and "不是本店核销的" in page

    web.login("c1_admin")
    index = web.get(f"/c/{world.slugs['c1']}/").get_data(as_text=True)
    assert f"/c/{world.slugs['c1']}/statements/" in index  # the home tile
    page = web.get(c_page(world)).get_data(as_text=True)
    assert "不是本店核销的" in page and 'data-test="add-credit-note"' in page
    bad = web.post_form(c_page(world, action="/credit-note"), {"amount": "9.00", "reason": "too much", "line": ""},
                        page=c_page(world))
    assert bad.status_code == 422
    done = web.post_form(c_page(world, action="/credit-note"),
                         {"amount": "4.00", "reason": "核实后扣除", "line": line_id}, page=c_page(world))
    assert done.status_code == 302, done.get_data(as_text=True)[:1500]
    wrong = web.post_form(c_page(world, action="/approve"), page=c_page(world))
    assert wrong.status_code == 409 and "error-summary" in wrong.get_data(as_text=True)

    confirmed = en.post_form(m_page(world, action="/confirm"), page=m_page(world))
    assert confirmed.status_code == 302
    assert web.post_form(c_page(world, action="/approve"), page=c_page(world)).status_code == 302
    page = web.get(c_page(world)).get_data(as_text=True)
    assert 'data-test="record-payment"' in page and 'data-test="pay-stripe"' not in page  # offline gateway
    assert web.post_form(c_page(world, action="/payment"), {"reference": ""}, page=c_page(world)).status_code == 422
    paid = web.post_form(c_page(world, action="/payment"), {"reference": "转账 20240205-88"}, page=c_page(world))
    assert paid.status_code == 302
    merchant_view = en.get(m_page(world)).get_data(as_text=True)
    assert 'data-status="paid"' in merchant_view and "转账 20240205-88" in merchant_view
    assert "CN¥4.00" in merchant_view  # what was due after the credit note
    assert web.post_form(c_page(world, action="/close"), page=c_page(world)).status_code == 302
    assert 'data-status="closed"' in web.get(c_page(world)).get_data(as_text=True)


def test_print_view_is_a4_ready(app, web, world):
    web.login("c1_admin")
    page = web.get(c_page(world, action="/print")).get_data(as_text=True)
    assert "print-page" in page and "data-print" in page and "js/settlement.js" in page
    assert page.count("<tr>") >= 3 and "¥8.00" in page
    css = app.test_client().get("/static/css/app.css").get_data(as_text=True)
    assert "size: A4" in css and ".statement-print__lines" in css


def test_csv_and_xlsx_hold_the_lines_and_totals(app, web, world):
    en = english(app, world)
    en.login("m1_owner")
    response = en.get(m_page(world, action="/csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    head = {row[0]: row[1] for row in rows[:9]}
    assert head["Month"] == WORLD_MONTH and head["Vouchers"] == "2" and head["Points"] == "80"
    assert head["Amount"] == "8.00" and head["Amount due"] == "8.00"
    lines = rows[rows.index(["Redeemed at", "Voucher", "Offer", "Points", "Value per point", "Amount",
                             "Disputed: reason"]) + 1:]
    assert [(r[2], r[3], r[5]) for r in lines] == [("World lunch", "40", "4.00")] * 2

    web.login("c1_admin")  # Chinese by default
    response = web.get(c_page(world, action="/xlsx"))
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert len(book.sheetnames) == 2
    head, lines = (list(book[name].iter_rows(values_only=True)) for name in book.sheetnames)
    values = [row[1] for row in head[1:]]
    assert WORLD_MONTH in values and 80 in values and 8.0 in values
    assert [(r[2], r[3], r[5]) for r in lines[1:]] == [("World lunch", 40, 4.0)] * 2


def test_another_tenants_statement_is_not_found_on_the_pages(web, world):
    web.login("m1_owner")
    assert web.get(f"/m/{world.slugs['m1']}/statements/{world.ids['statement:m2:c2']}").status_code == 404
    web.logout()
    web.login("c1_admin")
    assert web.get(f"/c/{world.slugs['c1']}/statements/{world.ids['statement:m2:c2']}").status_code == 404
    assert web.get(f"/c/{world.slugs['c1']}/statements/not-an-id/xlsx").status_code == 404
