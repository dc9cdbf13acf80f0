from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from tenants.rules.errors import MAX_CAP, MAX_NOTE, MAX_POINTS, MAX_QUANTITY, MAX_REASON
from tenants.rules.schemas import CODE_PATTERN

NUMERIC = {"inputmode": "numeric"}


def _cap(label):
    return IntegerField(label, validators=[Optional(), NumberRange(min=1, max=MAX_CAP)],
                        render_kw=NUMERIC)


class RuleForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    code = StringField(
        _l("Code"), description=_l("A short word used by other systems, for example cleanup."),
        validators=[DataRequired(), Regexp(CODE_PATTERN, message=_l(
            "Letters, digits and _ . - only, at most 40."))],
        render_kw={"autocapitalize": "none"},
    )
    category = StringField(_l("Category"), description=_l("For example 环境卫生 or 安全隐患."),
                           validators=[Optional(), Length(max=60)])
    points = IntegerField(_l("Points"), validators=[InputRequired(), NumberRange(min=1, max=MAX_POINTS)],
                          render_kw=NUMERIC)
    unit = SelectField(_l("Counted"), choices=[SelectChoice("each", _l("per deed")),
                                                   SelectChoice("hour", _l("per hour"))])
    needs_evidence = BooleanField(_l("A claim needs a photo"))
    needs_approval = BooleanField(_l("A claim waits for staff approval"), default=True)
    residents_may_claim = BooleanField(_l("Residents may claim it themselves"))
    grid_workers_may_award = BooleanField(_l("Grid workers may award it"), default=True)
    admins_may_award = BooleanField(_l("Admins may award it"), default=True)
    cap_day = _cap(_l("Limit per person per day"))
    cap_month = _cap(_l("Limit per person per month"))
    cap_year = _cap(_l("Limit per person per year"))


class AwardForm(FlaskForm):
    rule = SelectField(_l("Rule"), validators=[DataRequired()], choices=[])
    quantity = IntegerField(_l("How many (or hours)"), default=1,
                            validators=[InputRequired(), NumberRange(min=1, max=MAX_QUANTITY)],
                            render_kw=NUMERIC)
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=MAX_NOTE)],
                         render_kw={"rows": 2})
    # a random token per page view: a second submit of the same page awards nothing more
    token = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])


class ClaimForm(FlaskForm):
    rule = SelectField(_l("What did you do?"), validators=[DataRequired()], choices=[])
    quantity = IntegerField(_l("How many times (or hours)"), default=1,
                            validators=[InputRequired(), NumberRange(min=1, max=MAX_QUANTITY)],
                            render_kw=NUMERIC)
    note = TextAreaField(_l("Tell us about it"), validators=[DataRequired(), Length(max=MAX_NOTE)],
                         description=_l("When, where, and who you helped."),
                         render_kw={"rows": 4})
    photo = FileField(_l("Photo (optional unless the rule asks for one)"),
                      description=_l("A JPEG, PNG or WebP picture, at most 5 MB."),
                      render_kw={"accept": "image/jpeg,image/png,image/webp"})


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason (needed to reject)"),
                           validators=[Optional(), Length(max=MAX_REASON)], render_kw={"rows": 2})


def rule_choices(rules, label, prompt) -> list[SelectChoice]:
    """A prompt, then the rules grouped by category."""
    return [SelectChoice("", prompt)] + [
        SelectChoice(r.code, label(r), optgroup=r.category or None) for r in rules
    ]
