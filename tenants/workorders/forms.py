from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from tenants.workorders.labels import KINDS, URGENCIES


class ReportForm(FlaskForm):
    reporter = SelectField(_l("For resident"), validators=[Optional()],
                           description=_l("Staff: the resident you are reporting for."))
    category = SelectField(_l("What is it about?"), validators=[DataRequired()])
    text = TextAreaField(_l("Tell us what is needed or what you saw"), validators=[DataRequired(), Length(max=2000)])
    place = StringField(_l("Where"), validators=[Optional(), Length(max=200)],
                        description=_l("For example: Building 3, Unit 2, the stairwell"))
    urgency = RadioField(_l("How urgent?"), choices=[(k.value, v) for k, v in URGENCIES.items()],
                         default="normal", validators=[DataRequired()])
    photo = FileField(_l("Photo (optional)"), description=_l("JPEG, PNG or WebP, up to 5 MB."),
                      render_kw={"accept": "image/jpeg,image/png,image/webp"})


class DispatchForm(FlaskForm):
    member = SelectField(_l("To a person"), validators=[Optional()])
    team = SelectField(_l("Or to a team"), validators=[Optional()])
    note = StringField(_l("Note for the handler"), validators=[Optional(), Length(max=500)])


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class DoneForm(FlaskForm):
    note = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=2000)])
    photo = FileField(_l("Photo (optional)"), render_kw={"accept": "image/jpeg,image/png,image/webp"})
    helpers = SelectMultipleField(_l("Who helped (they earn points too)"), validators=[Optional()])
    hours = IntegerField(_l("Hours spent"), validators=[Optional(), NumberRange(min=1, max=24)])


class ConfirmForm(FlaskForm):
    rating = RadioField(_l("How well was it done?"), validators=[InputRequired()],
                        choices=[("5", _l("5 – very good")), ("4", _l("4 – good")), ("3", _l("3 – all right")),
                                 ("2", _l("2 – poor")), ("1", _l("1 – very poor"))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=500)])


class EmptyForm(FlaskForm):
    pass


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    kind = SelectField(_l("Kind"), choices=[(k.value, v) for k, v in KINDS.items()], validators=[DataRequired()])
    rule = SelectField(_l("Rule that pays the handlers"), validators=[Optional()])
    reporter_rule = SelectField(_l("Rule that pays the reporter (hazards)"), validators=[Optional()])
    bonus_points = IntegerField(_l("Bonus points for a good rating"), default=0,
                                validators=[InputRequired(), NumberRange(min=0, max=1000)])
