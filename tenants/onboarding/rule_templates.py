"""A district's rule templates: changing and removing them (adding is the rules capability's
``do_add_template``). Templates are copied when a community is created; changing one later
changes no community's rules."""

from sqlalchemy import func, select

from core.audit.actions import record
from core.extensions import db
from core.ids import parse_id
from core.transactions import atomic
from tenants.rules.actions import RULE_FIELDS, _rule_values, do_add_template
from tenants.rules.errors import RulesError
from tenants.rules.models import RuleTemplate


def template(district_id, template_id) -> RuleTemplate | None:
    template_id = parse_id(template_id)
    return template_id and db.session.scalar(select(RuleTemplate).where(
        RuleTemplate.district_id == district_id, RuleTemplate.id == template_id))


def _code_taken(district_id, code) -> bool:
    return db.session.scalar(select(RuleTemplate.id).where(
        RuleTemplate.district_id == district_id, func.lower(RuleTemplate.code) == code.lower())) is not None


def do_create_rule_template(district, *, code, actor, **fields) -> RuleTemplate:
    if _code_taken(district.id, code):
        raise RulesError("code_taken", field="code")
    return do_add_template(district, code=code, actor=actor, **fields)


def do_update_rule_template(template, *, actor, **fields) -> RuleTemplate:
    with atomic():
        values = _rule_values({k: v for k, v in fields.items() if k in RULE_FIELDS}, partial=True)
        for name, value in values.items():
            setattr(template, name, value)
        record("rule_template.updated", actor, district=template.district_id, code=template.code, **values)
    return template


def do_delete_rule_template(template, *, actor) -> None:
    with atomic():
        record("rule_template.deleted", actor, district=template.district_id, code=template.code)
        db.session.delete(template)
