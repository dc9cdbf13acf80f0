from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class CardCodeForm(FlaskForm):
    code = StringField(
        _l("Card code"),
        description=_l("Scan the QR code on the resident's card, or type the code printed under it."),
        validators=[DataRequired(message=_l("Enter the card code.")), Length(max=60)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                   "data-qr-target": "1",
                   "data-scan-label": _l("Scan with the camera"), "data-stop-label": _l("Stop scanning")},
    )
