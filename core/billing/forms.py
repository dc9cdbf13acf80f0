from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length, Regexp


class SubscribeForm(FlaskForm):
    """Who receives the invoices (asked once: when the payer has no Stripe customer yet)."""

    name = StringField(_l("Name on the invoices"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("Email for the invoices"),
        validators=[DataRequired(), Length(max=254),
                    Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an email address."))],
        description=_l("Stripe sends each invoice there, with a page to pay it."))
