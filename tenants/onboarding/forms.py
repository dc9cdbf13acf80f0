from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, PasswordField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from core.identity.schemas import LOGIN_PATTERN

WHOLE = _l("Enter a whole number.")
MAX_POINTS = 100_000
MAX_STOCK = 1_000_000


def _points(label=None):
    return IntegerField(label or _l("Price in points"), invalid_value_message=WHOLE,
                        validators=[InputRequired(message=WHOLE),
                                    NumberRange(min=1, max=MAX_POINTS, message=_l("From 1 to %(max)s."))],
                        render_kw={"inputmode": "numeric"})


def _stock(label=None):
    return IntegerField(label or _l("Stock"), invalid_value_message=WHOLE, default=0,
                        validators=[InputRequired(message=WHOLE),
                                    NumberRange(min=0, max=MAX_STOCK, message=_l("From 0 to %(max)s."))],
                        render_kw={"inputmode": "numeric"})


class ShopTemplateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    category = StringField(_l("Category"), validators=[Optional(), Length(max=40)])
    points = _points()
    stock = _stock(_l("Stock a new community starts with"))


class ShelfRowForm(FlaskForm):
    """One item of a new community's shelf, edited in its row of the table."""

    points = _points()
    stock = _stock()
    active = BooleanField(_l("On the shelf"))


class NewShelfItemForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    category = StringField(_l("Category"), validators=[Optional(), Length(max=40)])
    points = _points()
    stock = _stock()


class InvitationsForm(FlaskForm):
    labels = TextAreaField(
        _l("Who the links are for"),
        description=_l("One name per line: one link each (up to 50)."),
        validators=[DataRequired(message=_l("Write at least one name.")), Length(max=4000)],
        render_kw={"rows": 4})
    days = IntegerField(_l("Valid for (days)"), default=7, invalid_value_message=WHOLE,
                        validators=[InputRequired(message=WHOLE),
                                    NumberRange(min=1, max=30, message=_l("From 1 to %(max)s."))],
                        render_kw={"inputmode": "numeric"})

    def label_list(self) -> list[str]:
        return [line.strip()[:80] for line in (self.labels.data or "").splitlines() if line.strip()]


class JoinForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=80)])
    login = StringField(
        _l("User name for signing in"),
        description=_l("3 to 64 letters, digits or _ . @ + -"),
        validators=[DataRequired(), Regexp(LOGIN_PATTERN, message=_l("3 to 64 letters, digits or _ . @ + -"))],
        render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), description=_l("At least 8 characters."),
                             validators=[DataRequired(), Length(min=8, max=200)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("The password again"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class UploadForm(FlaskForm):
    file = FileField(_l("Resident list (.xlsx or .csv)"),
                     validators=[FileRequired(message=_l("Choose the file to upload."))],
                     render_kw={"accept": ".xlsx,.csv"})


class RowForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[Length(max=200)])
    phone = StringField(_l("Mobile phone"), description=_l("Optional. 11 digits."), validators=[Length(max=40)],
                        render_kw={"inputmode": "tel"})
    kind_text = StringField(_l("Account kind"), description=_l("red, blue or green (红/蓝/绿, 党员/群众/楼栋长); empty: blue."),
                            validators=[Length(max=40)])
    building = StringField(_l("Building"), description=_l("Optional."), validators=[Length(max=80)])
    distinct_person = BooleanField(_l("This is another person with the same name"))
    skip = BooleanField(_l("Do not import this row"))
