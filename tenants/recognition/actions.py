"""Recognition's state changes: a member's name setting, a district's thresholds."""

from core.audit.actions import record
from core.extensions import db
from core.transactions import atomic
from tenants.recognition.models import RecognitionPreference, RecognitionSettings
from tenants.recognition.queries import preference, settings_row


def do_set_hide_name(member, hide: bool, *, actor) -> RecognitionPreference:
    with atomic():
        row = preference(member)
        if row is None:
            row = RecognitionPreference(community_id=member.community_id, member_id=member.id)
            db.session.add(row)
        row.hide_name = bool(hide)
        record("recognition.name_setting", actor, member=member.id, hide_name=bool(hide))
    return row


def do_save_settings(district, config: dict, *, actor) -> RecognitionSettings:
    with atomic():
        row = settings_row(district.id)
        if row is None:
            row = RecognitionSettings(district_id=district.id, config={})
            db.session.add(row)
        row.config = config
        record("recognition.settings_saved", actor, district=district.id, config=config)
    return row
