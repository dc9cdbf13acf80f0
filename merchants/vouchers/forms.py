from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class CodeForm(FlaskForm):
    code = StringField(
        _l("Voucher code"),
        validators=[DataRequired(message=_l("Type the code on the resident's voucher.")), Length(max=64)],
        render_kw={
            # Digits and capital letters: a text keyboard that starts in capitals, with no
            # autocorrect or suggestions rewriting the code.
            "inputmode": "text", "autocapitalize": "characters", "autocomplete": "off",
            "autocorrect": "off", "spellcheck": "false", "enterkeyhint": "go",
            "placeholder": "XXXX-XXXX-XXXX-XXXX-X", "maxlength": "30", "data-code-input": "",
            "aria-describedby": "code-hint",
        },
    )
