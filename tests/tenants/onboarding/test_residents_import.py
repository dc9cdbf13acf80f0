"""Importing residents from a spreadsheet: reading XLSX and CSV, the report of what is wrong
with each row, fixing and skipping rows, and the one-action import of the clean ones."""

import io

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.identity.actions import authenticate, do_create_user
from core.identity.models import Member, Role, User
from core.tenancy.context import use_community
from core.transactions import atomic
from tenants.onboarding import actions, residents
from tenants.onboarding.models import ImportRow
from tests.tenants.onboarding.world import resident_file


def upload(client, world, data, filename="list.xlsx", community="c1"):
    url = f"/d/{world.slugs['d1']}/onboard/{world.slugs[community]}/residents"
    return client.post_form(url, {"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


# Reads run in an app context of their own, pushed and popped around each read: an app
# context held open across client requests would be shared with them (and their ``g``).


def members_of(app, world, community="c1"):
    with app.app_context(), use_community(world.ids[community]):
        count = db.session.scalar(select(func.count()).select_from(Member).where(
            Member.community_id == world.ids[community]))
        db.session.remove()
    return count


def rows_of(app, batch):
    from core.tenancy.context import all_communities

    with app.app_context(), all_communities():
        rows = {r.line: r for r in db.session.scalars(select(ImportRow).where(ImportRow.batch_id == batch))}
        db.session.expunge_all()
        db.session.remove()
    return rows


def add_user(app, login, phone):
    with app.app_context():
        with atomic():
            do_create_user(login, "password-1", login, phone=phone)
        db.session.remove()


def batch_id(response):
    import uuid

    return uuid.UUID(response.headers["Location"].rstrip("/").split("/")[-1])


# --- reading -----------------------------------------------------------------------------------


def test_headings_in_either_language_in_any_order():
    table = [["Building", "账户类型", "Name", "手机号"], ["3栋", "党员", "王秀英", "138 0013 8000"], [None, None, None, None]]
    rows = residents._rows_from_table(table)
    assert len(rows) == 1  # the blank line is no row
    assert rows[0].values == {"name": "王秀英", "phone": "138 0013 8000", "kind": "党员", "building": "3栋"}
    assert rows[0].line == 2


def test_a_csv_saved_by_a_chinese_excel_is_read():
    text = "姓名,手机号,账户类型,楼栋\n李建国,+86 139-1234-5678,楼栋长,2栋\n"
    rows = residents.read_file("名单.csv", text.encode("gb18030"))
    assert rows[0].values["name"] == "李建国"
    assert residents.normalise_phone(rows[0].values["phone"]) == "13912345678"
    assert residents.kind_of(rows[0].values["kind"]) == "green"


def test_a_phone_typed_into_excel_as_a_number_is_read_as_digits():
    rows = residents.read_file("a.xlsx", resident_file([("张伟", 13800138000, "blue", "")]))
    assert rows[0].values["phone"] == "13800138000"


@pytest.mark.parametrize("filename,data", [
    ("list.xlsx", b"PK\x03\x04 not really a zip"),
    ("list.pdf", b"%PDF-1.4"),
    ("list.csv", b""),
    ("list.csv", "名字只有一列\n".encode()),  # no heading the template knows
    ("list.csv", "姓名,手机号\n".encode()),  # headings but nobody
    ("list.csv", b"\xff\xfe\x00\x00binary"),
])
def test_files_that_cannot_be_used_say_why_and_store_nothing(web, world, filename, data):
    web.login("d1_admin")
    before = members_of(web.app, world)
    response = upload(web, world, data, filename)
    assert response.status_code == 422
    assert 'data-test="file-problem"' in response.get_data(as_text=True)
    assert members_of(web.app, world) == before
    with web.app.app_context(), use_community(world.ids["c1"]):
        assert db.session.scalar(select(func.count()).select_from(ImportRow).where(
            ImportRow.community_id == world.ids["c1"])) == 0
        db.session.remove()


def test_too_many_rows_are_refused():
    table = [["姓名"]] + [[f"居民{i}"] for i in range(residents.MAX_ROWS + 1)]
    with pytest.raises(residents.FileProblem):
        residents._rows_from_table(table)


def test_kinds_in_the_words_people_use():
    for text, kind in (("red", "red"), ("RED", "red"), ("红", "red"), ("党员", "red"), ("蓝", "blue"),
                       ("群众", "blue"), ("", "blue"), ("green", "green"), ("绿", "green"),
                       ("楼栋长", "green"), ("紫", None), ("vip", None)):
        assert residents.kind_of(text) == kind, text


# --- the report -----------------------------------------------------------------------------------


def test_the_report_names_what_is_wrong_with_each_row_and_imports_nothing(web, world):
    add_user(web.app, "somebody", "13700000000")
    data = resident_file([
        ("王秀英", "13800138000", "红", ""),          # 2: clean
        ("李四", "12345", "紫", ""),                  # 3: bad phone, unknown kind
        ("赵六", "13900000000", "蓝", ""),            # 4: same phone as row 5
        ("钱七", "139 0000 0000", "", ""),            # 5: same phone as row 4 (after normalising)
        ("孙八", "13700000000", "绿", ""),            # 6: phone already registered
        ("", "13600000000", "", ""),                  # 7: no name
        ("周九", "", "群众", "c1 B1"),                # 8: same name and building as row 9, no phones
        ("周九", "", "群众", "c1 B1"),                # 9
        ("c1 blue person", "", "", ""),               # 10: an existing member's name, no phone
    ])
    web.login("d1_admin")
    before = members_of(web.app, world)
    response = upload(web, world, data)
    assert response.status_code == 303
    assert members_of(web.app, world) == before  # nothing imported yet
    rows = rows_of(web.app, batch_id(response))
    assert rows[2].problems == [] and rows[2].account_kind == "red"
    assert set(rows[3].problems) == {"bad_phone", "unknown_kind"}
    assert rows[4].problems == ["duplicate_phone_in_file"] and rows[5].problems == ["duplicate_phone_in_file"]
    assert rows[6].problems == ["phone_taken"]
    assert rows[7].problems == ["missing_name"]
    assert rows[8].problems == ["possible_duplicate_in_file"] == rows[9].problems
    assert rows[10].problems == ["possible_duplicate_member"]
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-test="count-clean">1<' in page and 'data-test="count-problems">8<' in page
    assert "not a mainland mobile number" in page or "手机" in page


def test_buildings_are_checked_once_the_community_has_a_grid(web, world):
    """c3 has no grid: buildings are kept for later. c1's grid has building "c1 B1": a row
    naming it is matched (and the resident lives there once imported), another is refused."""
    from tenants.grid.models import Residence

    web.login("d1_admin")
    rows = rows_of(web.app, batch_id(upload(web, world, resident_file([("王秀英", "", "红", "9栋")]),
                                            community="c3")))
    assert rows[2].problems == [] and rows[2].building_id is None
    response = upload(web, world, resident_file([("李建国", "", "红", "C1 b1"), ("赵六", "", "", "9栋")]))
    rows = rows_of(web.app, batch_id(response))
    assert rows[2].building_id == world.ids["building:c1"] and rows[2].problems == []  # any case
    assert rows[3].problems == ["unknown_building"]
    web.post_form(f"{response.headers['Location']}/import", {}, page=response.headers["Location"])
    member_id = rows_of(web.app, batch_id(response))[2].member_id
    with web.app.app_context(), use_community(world.ids["c1"]):
        home = db.session.scalar(select(Residence.building_id).where(Residence.member_id == member_id))
        db.session.remove()
    assert home == world.ids["building:c1"]


# --- fixing, skipping, importing --------------------------------------------------------------------


def test_fix_rows_then_import_the_clean_ones_in_one_action(web, world):
    data = resident_file([("王秀英", "13800138001", "红", ""), ("李四", "12345", "蓝", ""),
                          ("张三", "", "紫", ""), ("钱七", "13800138002", "绿", "")])
    web.login("d1_admin")
    response = upload(web, world, data)
    batch_url = response.headers["Location"]
    rows = rows_of(web.app, batch_id(response))
    # fix row 3's phone; skip row 4
    fix = f"{batch_url}/rows/{rows[3].id}"
    response = web.post_form(fix, {"name": "李四", "phone": "13800138003", "kind_text": "蓝", "building": ""})
    assert response.status_code == 303 and response.headers["Location"].endswith(batch_url.split("/")[-1])
    response = web.post_form(f"{batch_url}/rows/{rows[4].id}", {"name": "张三", "phone": "", "kind_text": "紫",
                                                                  "building": "", "skip": "y"})
    assert response.status_code == 303
    before = members_of(web.app, world)
    response = web.post_form(f"{batch_url}/import", {}, page=batch_url)
    assert response.status_code == 303
    assert members_of(web.app, world) == before + 3
    with web.app.app_context(), use_community(world.ids["c1"]):
        imported = {m.name: m for m in db.session.scalars(select(Member).where(
            Member.community_id == world.ids["c1"], Member.name.in_(["王秀英", "李四", "钱七", "张三"])))}
        assert set(imported) == {"王秀英", "李四", "钱七"}
        assert imported["王秀英"].account_kind.value == "red" and imported["钱七"].account_kind.value == "green"
        assert all(m.role == Role.RESIDENT for m in imported.values())
        numbers = sorted(m.number for m in imported.values())
        assert numbers == list(range(numbers[0], numbers[0] + 3))
        user = db.session.get(User, imported["李四"].user_id)
        assert user.phone == "13800138003" and user.login == f"{world.slugs['c1']}-{imported['李四'].number}"
        # no password was made: nobody can sign in as them, whatever they try
        for guess in ("", "13800138003", user.login, actions.NO_PASSWORD, "!no-password"):
            assert authenticate(user.login, guess) is None
        db.session.remove()
    # a second import finds nothing new to import; the skipped row stays behind
    response = web.post_form(f"{batch_url}/import", {}, page=batch_url)
    assert members_of(web.app, world) == before + 3
    page = web.get(f"{batch_url}?show=skipped").get_data(as_text=True)
    assert "张三" in page


def test_a_row_that_is_still_wrong_says_so(web, world):
    web.login("d1_admin")
    response = upload(web, world, resident_file([("李四", "12345", "蓝", "")]))
    rows = rows_of(web.app, batch_id(response))
    fix = f"{response.headers['Location']}/rows/{rows[2].id}"
    response = web.post_form(fix, {"name": "李四", "phone": "1234567", "kind_text": "蓝", "building": ""})
    assert response.status_code == 303 and response.headers["Location"].endswith(str(rows[2].id))
    assert rows_of(web.app, rows[2].batch_id)[2].problems == ["bad_phone"]


def test_saying_same_name_is_another_person_clears_the_possible_duplicate(web, world):
    web.login("d1_admin")
    response = upload(web, world, resident_file([("c1 red person", "", "红", "")]))
    rows = rows_of(web.app, batch_id(response))
    assert rows[2].problems == ["possible_duplicate_member"]
    web.post_form(f"{response.headers['Location']}/rows/{rows[2].id}",
                  {"name": "c1 red person", "phone": "", "kind_text": "红", "building": "", "distinct_person": "y"})
    assert rows_of(web.app, rows[2].batch_id)[2].problems == []


def test_skip_every_row_with_a_problem(web, world):
    web.login("d1_admin")
    response = upload(web, world, resident_file([("好人", "", "", ""), ("坏号码", "1", "", "")]))
    batch_url = response.headers["Location"]
    assert web.post_form(f"{batch_url}/skip-problems", {}, page=batch_url).status_code == 303
    rows = rows_of(web.app, batch_id(response))
    assert rows[3].skip and not rows[2].skip
    page = web.get(batch_url).get_data(as_text=True)
    assert 'data-test="count-clean">1<' in page and 'data-test="count-problems">0<' in page


def test_a_phone_taken_between_upload_and_import_is_caught_at_import(web, world):
    web.login("d1_admin")
    response = upload(web, world, resident_file([("快手", "13811112222", "", "")]))
    add_user(web.app, "quicker", "13811112222")
    before = members_of(web.app, world)
    web.post_form(f"{response.headers['Location']}/import", {}, page=response.headers["Location"])
    assert members_of(web.app, world) == before
    assert rows_of(web.app, batch_id(response))[2].problems == ["phone_taken"]


def test_the_templates_download_in_both_formats(web, world):
    from openpyxl import load_workbook

    web.login("d1_admin")
    response = web.get(f"/d/{world.slugs['d1']}/onboard/template.xlsx")
    head = next(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert head[0] == "姓名 Name" and "Phone" in head[1] and "红/蓝/绿" in head[2] and "Building" in head[3]
    response = web.get(f"/d/{world.slugs['d1']}/onboard/template.csv")
    assert response.data.startswith("\ufeff".encode())  # a BOM, so Excel reads UTF-8
    # the template as downloaded is a file the import accepts
    assert [r.values["name"] for r in residents.read_file("t.csv", response.data)][0] == "王秀英"


def test_the_report_downloads_as_xlsx(web, world):
    from openpyxl import load_workbook

    web.login("d1_admin")
    response = upload(web, world, resident_file([("李四", "12345", "蓝", "")]))
    data = web.get(f"{response.headers['Location']}/report.xlsx").data
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[1][1] == "李四" and rows[1][6]
