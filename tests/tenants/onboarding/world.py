"""The district pages' part of the test world, in district d2 and its community c2 (the
victims of the cross-tenant tests): a shop item template of d2, a
resident file uploaded to c2 (one clean row, one with a bad phone; nothing imported), a used
invitation link of c2, and a finished export of c2's members asked for by c2_admin.

Nothing here adds members or points: other suites count the world's people and balances.
No rule template either: the rules' tests expect d2 to have none (the cross-tenant test makes
its own, rolled back; the harness's ``rule_template_id`` needs the same).
It depends on no other world step (a test module importing ``resident_file`` registers it
early); the shop's items and the rules' rules of c2 are found in the database by the tests.

``world.extra["url_args"]["c2"]`` names the victim's value for each URL argument of these
pages (tests/core/test_cross_tenant.py reads it through tests/tenant_objects.py; so does
tests/tenants/onboarding/test_cross_tenant.py).
"""

import io

from tests.world import world_step


def resident_file(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["姓名 Name", "手机号 Phone", "账户类型 Account kind", "楼栋 Building"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@world_step
def district_pages_world(w) -> None:
    from sqlalchemy import select

    from core.exports.actions import do_start_export
    from core.exports.registry import export_kind
    from core.extensions import db
    from core.identity.models import User
    from core.tenancy.context import use_community
    from core.tenancy.models import District
    from core.types import utcnow
    from tenants.onboarding import actions
    from tenants.onboarding.models import ImportRow

    platform = db.session.get(User, w.ids["user:platform"])
    d2 = db.session.get(District, w.ids["d2"])
    template = actions.do_add_shop_template(d2, actor=platform, name="d2 大米模板", category="粮油",
                                            points=15, stock=10)
    c2 = w.community("c2")
    with use_community(c2.id):
        batch = actions.do_upload_residents(c2, actor=platform, filename="c2-list.xlsx", data=resident_file(
            [("c2 待导入居民", "13900000001", "蓝", ""), ("c2 号码有误", "12345", "红", "")]))
        row = db.session.scalar(select(ImportRow).where(ImportRow.batch_id == batch.id).order_by(ImportRow.line))
        (invitation, token), = actions.do_create_invitations(c2, actor=platform, labels=["c2 网格员"], days=7)
        invitation.used_at = utcnow()  # used up: the link now answers "not found" to everyone
        invitation.used_by = w.ids["user:c2_admin"]
        db.session.commit()
        w.ids["batch:c2"], w.ids["row:c2"], w.ids["invitation:c2"] = batch.id, row.id, invitation.id
    c2_admin = db.session.get(User, w.ids["user:c2_admin"])
    job = do_start_export(c2_admin, export_kind("community_members"), {"community": c2.slug})
    w.ids["job:c2"] = job.id
    w.ids["shop_template:d2"] = template.id
    # ids as kept in w.ids (tenant rows are not readable again outside their community); the
    # cross-tenant harness (tests/core/test_cross_tenant.py) sends c2's to c1's people
    w.extra.setdefault("url_args", {}).setdefault("c2", {}).update({
        "shop_template_id": w.ids["shop_template:d2"],
        "batch_id": w.ids["batch:c2"],
        "row_id": w.ids["row:c2"],
        "invitation_id": w.ids["invitation:c2"],
        "token": token,
        "job_id": w.ids["job:c2"],
        "step": "shop",
    })
