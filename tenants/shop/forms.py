from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from tenants.shop.actions import MAX_POINTS, MAX_QUANTITY, MAX_STOCK

WHOLE = _l("Enter a whole number.")


class QuantityForm(FlaskForm):
    quantity = IntegerField(
        _l("How many"), default=1, invalid_value_message=WHOLE,
        validators=[InputRequired(message=WHOLE),
                    NumberRange(min=1, max=MAX_QUANTITY, message=_l("From 1 to %(max)s."))],
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_QUANTITY},
    )


class AssistedOrderForm(QuantityForm):
    item = StringField(validators=[DataRequired(), Length(max=64)])
    # "reserve": picked up later with the code; "counter": handed over now
    mode = StringField(default="counter", validators=[AnyOf(["reserve", "counter"])])


class PickupForm(FlaskForm):
    code = StringField(
        _l("Pickup code"), description=_l("8 letters and digits, from the resident's order."),
        validators=[DataRequired(message=_l("Enter the pickup code.")), Length(max=40)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                   "data-qr-target": "1",
                   "data-scan-label": _l("Scan with the camera"), "data-stop-label": _l("Stop scanning")},
    )


class ItemForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    category = StringField(_l("Category"), validators=[Optional(), Length(max=40)],
                           description=_l("For example: grain and oil, daily goods."))
    points = IntegerField(_l("Price in points"), invalid_value_message=WHOLE,
                          validators=[InputRequired(message=WHOLE),
                                      NumberRange(min=1, max=MAX_POINTS, message=_l("From 1 to %(max)s."))],
                          render_kw={"inputmode": "numeric"})
    stock = IntegerField(_l("Stock"), invalid_value_message=WHOLE, default=0,
                         validators=[InputRequired(message=WHOLE),
                                     NumberRange(min=0, max=MAX_STOCK, message=_l("From 0 to %(max)s."))],
                         render_kw={"inputmode": "numeric"})
    per_member_limit = IntegerField(
        _l("Most one resident may take each time the shop opens"), invalid_value_message=WHOLE,
        description=_l("Leave empty for no limit. When the shop is always open, the limit is per month."),
        validators=[Optional(), NumberRange(min=1, max=MAX_QUANTITY, message=_l("From 1 to %(max)s."))],
        render_kw={"inputmode": "numeric"})
    low_stock_at = IntegerField(_l("Warn when stock is at or below"), default=5, invalid_value_message=WHOLE,
                                validators=[InputRequired(message=WHOLE),
                                            NumberRange(min=0, max=MAX_STOCK, message=_l("From 0 to %(max)s."))],
                                render_kw={"inputmode": "numeric"})
    active = BooleanField(_l("On offer"), default=True)
    photo = FileField(_l("Photo"), description=_l("JPEG, PNG or WebP, at most 5 MB."),
                      render_kw={"accept": "image/jpeg,image/png,image/webp"})


class RestockForm(FlaskForm):
    delta = IntegerField(_l("Add to stock"), invalid_value_message=WHOLE,
                         description=_l("A negative number removes broken or lost goods."),
                         validators=[InputRequired(message=WHOLE),
                                     NumberRange(min=-MAX_STOCK, max=MAX_STOCK, message=_l("Too large."))],
                         render_kw={"inputmode": "numeric"})

    def validate_delta(self, field):
        if field.data == 0:
            raise ValidationError(_l("Enter a number other than 0."))


try:  # wtforms 3.3 deprecates (value, label) tuples
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older wtforms
    def SelectChoice(value, label):  # noqa: N802
        return (value, label)

WEEKDAYS = [
    SelectChoice(0, _l("Monday")), SelectChoice(1, _l("Tuesday")), SelectChoice(2, _l("Wednesday")),
    SelectChoice(3, _l("Thursday")), SelectChoice(4, _l("Friday")), SelectChoice(5, _l("Saturday")),
    SelectChoice(6, _l("Sunday")),
]


class WeeklyWindowForm(FlaskForm):
    weekday = SelectField(_l("Day of the week"), choices=WEEKDAYS, coerce=int)
    opens = TimeField(_l("Opens at"), validators=[InputRequired(message=_l("Enter a time."))])
    closes = TimeField(_l("Closes at"), validators=[InputRequired(message=_l("Enter a time."))])

    def validate_closes(self, field):
        if self.opens.data and field.data and field.data <= self.opens.data:
            raise ValidationError(_l("The closing time must be after the opening time."))


class DatedWindowForm(FlaskForm):
    start_day = DateField(_l("First day"), validators=[InputRequired(message=_l("Enter a date."))])
    start_time = TimeField(_l("Opens at"), validators=[InputRequired(message=_l("Enter a time."))])
    end_day = DateField(_l("Last day"), validators=[InputRequired(message=_l("Enter a date."))])
    end_time = TimeField(_l("Closes at"), validators=[InputRequired(message=_l("Enter a time."))])


class SettingsForm(FlaskForm):
    expiry_days = IntegerField(_l("Days to collect an order"), invalid_value_message=WHOLE,
                               description=_l("Orders not collected by then are cancelled and refunded."),
                               validators=[InputRequired(message=WHOLE),
                                           NumberRange(min=1, max=365, message=_l("From 1 to %(max)s."))],
                               render_kw={"inputmode": "numeric"})
    remind_hours = IntegerField(_l("Remind residents this many hours before a window closes"), invalid_value_message=WHOLE,
                                description=_l("0: no reminder."),
                                validators=[InputRequired(message=WHOLE),
                                            NumberRange(min=0, max=720, message=_l("From 0 to %(max)s."))],
                                render_kw={"inputmode": "numeric"})
