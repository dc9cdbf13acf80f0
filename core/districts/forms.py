from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from core.districts.actions import valid_timezone
from core.identity.schemas import LOGIN_PATTERN
from core.tenancy.models import SLUG_PATTERN

SLUG_HELP = _l("Lower-case letters, digits and dashes, used in addresses.")


class DistrictForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(_l("Short name"), description=SLUG_HELP,
                       validators=[DataRequired(), Regexp(SLUG_PATTERN, message=SLUG_HELP)])


class CommunityForm(FlaskForm):
    name = StringField(_l("Community name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(_l("Short name"), description=SLUG_HELP,
                       validators=[DataRequired(), Regexp(SLUG_PATTERN, message=SLUG_HELP)])
    timezone = SelectField(_l("Time zone"), default="Asia/Shanghai",
                           choices=["Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "UTC"])
    admin_name = StringField(_l("First admin's name"), validators=[DataRequired(), Length(max=80)])
    admin_login = StringField(
        _l("First admin's user name"),
        validators=[DataRequired(), Regexp(LOGIN_PATTERN, message=_l("3 to 64 letters, digits or _ . @ + -"))],
    )
    admin_password = PasswordField(_l("First admin's password"),
                                   validators=[DataRequired(), Length(min=8, max=200)])

    def validate_timezone(self, field):
        if not valid_timezone(field.data):
            raise ValidationError(_l("Unknown time zone."))
