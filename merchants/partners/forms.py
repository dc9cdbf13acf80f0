from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from core.identity.schemas import LOGIN_PATTERN
from core.tenancy.models import SLUG_PATTERN
from merchants.money import MoneyError, parse_amount

SLUG_HELP = _l("Lower-case letters, digits and dashes, used in addresses.")
LOGIN_HELP = _l("3 to 64 letters, digits or _ . @ + -")
CATEGORIES = [SelectChoice(value, label) for value, label in (
    ("", _l("Choose…")), ("餐饮", _l("Food and drink")), ("药店", _l("Pharmacy")),
    ("超市", _l("Supermarket")), ("生活服务", _l("Everyday services")), ("其他", _l("Other")))]


class ProfileForm(FlaskForm):
    name = StringField(_l("Shop name"), validators=[DataRequired(), Length(max=120)])
    category = SelectField(_l("Category"), choices=CATEGORIES, validators=[Optional()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    opening_hours = StringField(_l("Opening hours"), description=_l("For example 10:00-21:00"),
                                validators=[Optional(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    description = TextAreaField(_l("About the shop"), validators=[Optional(), Length(max=2000)])
    photo = FileField(_l("Photo of the shop"), description=_l("JPEG or PNG"),
                      validators=[FileAllowed(["jpg", "jpeg", "png", "webp"], _l("Use a JPEG or PNG picture."))])


class SignUpForm(FlaskForm):
    name = StringField(_l("Shop name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(_l("Short name"), description=SLUG_HELP,
                       validators=[DataRequired(), Length(max=40), Regexp(SLUG_PATTERN, message=SLUG_HELP)])
    category = SelectField(_l("Category"), choices=CATEGORIES, validators=[Optional()])
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=200)])
    owner_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=80)])
    owner_login = StringField(_l("Your user name"), description=LOGIN_HELP,
                              validators=[DataRequired(), Regexp(LOGIN_PATTERN, message=LOGIN_HELP)],
                              render_kw={"autocomplete": "username", "autocapitalize": "none"})
    owner_password = PasswordField(_l("Password"), description=_l("At least 8 characters"),
                                   validators=[DataRequired(), Length(min=8, max=200)],
                                   render_kw={"autocomplete": "new-password"})


class StaffForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    login = StringField(_l("User name"), description=LOGIN_HELP,
                        validators=[DataRequired(), Regexp(LOGIN_PATTERN, message=LOGIN_HELP)],
                        render_kw={"autocomplete": "off", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), description=_l("At least 8 characters"),
                             validators=[DataRequired(), Length(min=8, max=200)],
                             render_kw={"autocomplete": "new-password"})


class ApplyForm(FlaskForm):
    community = SelectField(_l("Community"), validators=[DataRequired()])
    message = TextAreaField(_l("A note for the community"), validators=[Optional(), Length(max=300)])


class MoneyField(StringField):
    """A money amount typed by a person, read exactly (``MoneyError`` becomes a field error)."""

    currency = "CNY"

    def minor(self) -> int | None:
        if not (self.data or "").strip():
            return None
        return parse_amount(self.data.strip(), self.currency)


def money_check(form, field):
    try:
        field.minor()
    except MoneyError as exc:
        raise ValidationError(str(exc)) from exc


class TermsForm(FlaskForm):
    point_value = MoneyField(_l("Money paid per point redeemed"), description=_l("For example 0.10"),
                             validators=[DataRequired(), money_check], render_kw={"inputmode": "decimal"})
    monthly_cap = MoneyField(_l("Monthly cap (optional)"),
                             description=_l("The most this merchant's vouchers may cost per month"),
                             validators=[Optional(), money_check], render_kw={"inputmode": "decimal"})


class InviteForm(TermsForm):
    merchant = StringField(_l("Merchant's short name"), validators=[DataRequired(), Length(max=40)],
                           render_kw={"autocapitalize": "none"})
