from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from merchants.partners.forms import MoneyField, money_check


class CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def merchant_timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))


class OfferForm(FlaskForm):
    title = StringField(_l("Title"), description=_l("For example: a meal at 20 percent off"),
                        validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice("voucher", _l("Voucher (a discount or service)")),
                                            SelectChoice("item", _l("Item (goods at a lower price)"))])
    points = IntegerField(_l("Points price"), validators=[InputRequired(), NumberRange(min=1, max=1_000_000)],
                          render_kw={"inputmode": "numeric"})
    market_price = MoneyField(_l("Market price (optional)"), validators=[Optional(), money_check],
                              render_kw={"inputmode": "decimal"})
    offer_price = MoneyField(_l("Price with the voucher (optional)"),
                             description=_l("The saving is shown to residents"),
                             validators=[Optional(), money_check], render_kw={"inputmode": "decimal"})
    valid_from = DateTimeLocalField(_l("Valid from"), validators=[InputRequired()])
    valid_until = DateTimeLocalField(_l("Valid until"), validators=[InputRequired()])
    quantity = IntegerField(_l("How many in total"), validators=[InputRequired(), NumberRange(min=1, max=1_000_000)],
                            render_kw={"inputmode": "numeric"})
    per_member_limit = IntegerField(_l("Most per resident"), default=1,
                                    validators=[Optional(), NumberRange(min=1, max=1000)],
                                    render_kw={"inputmode": "numeric"})
    communities = CheckboxList(_l("Communities"), description=_l("Only partner communities can be chosen"),
                               validators=[DataRequired(message=_l("Choose at least one partner community."))])
    terms = TextAreaField(_l("Terms"), validators=[Optional(), Length(max=2000)])
    cancellable = BooleanField(_l("Residents may hand back an unused voucher for their points"), default=True)
    refund_on_expiry = BooleanField(_l("Give the points back if a voucher expires unused"), default=True)
    photo = FileField(_l("Photo"), validators=[FileAllowed(["jpg", "jpeg", "png", "webp"], _l("Use a JPEG or PNG picture."))])

    def validate_valid_until(self, field):
        if self.valid_from.data and field.data and field.data <= self.valid_from.data:
            raise ValidationError(_l("The end must be after the start."))

    def aware(self, value: datetime) -> datetime:
        return value.replace(tzinfo=merchant_timezone())

    def values(self) -> dict:
        return {
            "title": self.title.data.strip(), "kind": self.kind.data, "points": self.points.data,
            "market_price_minor": self.market_price.minor(), "offer_price_minor": self.offer_price.minor(),
            "currency": "CNY", "valid_from": self.aware(self.valid_from.data),
            "valid_until": self.aware(self.valid_until.data), "quantity": self.quantity.data,
            "per_member_limit": self.per_member_limit.data, "terms": (self.terms.data or "").strip() or None,
            "cancellable": self.cancellable.data, "refund_on_expiry": self.refund_on_expiry.data,
        }

    def fill_defaults(self):
        now = datetime.now(merchant_timezone()).replace(second=0, microsecond=0, tzinfo=None)
        self.valid_from.data = self.valid_from.data or now
        self.valid_until.data = self.valid_until.data or now + timedelta(days=30)
