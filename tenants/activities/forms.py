from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from tenants.activities.models import DEFAULT_MIN_SHARE

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def to_utc(value: datetime, timezone: str) -> datetime:
    """A naive local time from a form, in the community's zone, as an aware UTC time."""
    from datetime import UTC

    return value.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def to_local(value: datetime, timezone: str) -> datetime:
    return value.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


class ActivityForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("What volunteers will do"), validators=[Optional(), Length(max=4000)])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts"), format=LOCAL_FORMAT, validators=[InputRequired()])
    ends_at = DateTimeLocalField(_l("Ends"), format=LOCAL_FORMAT, validators=[InputRequired()])
    signup_deadline = DateTimeLocalField(_l("Sign-up closes"), format=LOCAL_FORMAT, validators=[InputRequired()])
    capacity = IntegerField(_l("Places"), validators=[InputRequired(), NumberRange(min=1, max=100000)])
    rule = SelectField(_l("Rule that pays for it"), validators=[DataRequired()],
                       description=_l("Per hour of service, or once per attendance."))
    team = SelectField(_l("Only for a team"), validators=[Optional()])
    min_share = IntegerField(_l("Share of the time needed for points (%)"), default=DEFAULT_MIN_SHARE,
                             validators=[InputRequired(), NumberRange(min=1, max=100)])
    publish = BooleanField(_l("Publish now (residents can sign up)"), default=True)


class MemberActionForm(FlaskForm):
    """Staff acting for one resident (sign up, check in, check out); empty: oneself."""

    member = HiddenField()


class CodeForm(FlaskForm):
    code = StringField(_l("Code shown at the door"), validators=[DataRequired(), Length(max=12)],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code",
                                  "pattern": "[0-9 ]*", "class": "input input--code"})


class MakeupForm(FlaskForm):
    member = SelectField(_l("Volunteer"), validators=[DataRequired()])
    minutes = IntegerField(_l("Minutes to add"), validators=[InputRequired(), NumberRange(min=1, max=1440)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class ConfirmForm(FlaskForm):
    pass
