"""Reading the district's recognition settings form (fields made per metric, so parsed by
hand; every bad value is named and nothing is saved)."""

from flask_babel import gettext as _

from tenants.recognition import config as rules

MAX_VALUE = 1_000_000


def _number(text, *, allow_float=False):
    text = (text or "").strip()
    if not text:
        return None, None
    try:
        value = float(text) if allow_float else int(text)
    except ValueError:
        return None, _("Enter a number.") if allow_float else _("Enter a whole number.")
    if not 0 <= value <= MAX_VALUE:
        return None, _("From 0 to %(max)s.", max=MAX_VALUE)
    return value, None


def parse(form, staff_metrics: dict, resident_metrics: dict) -> tuple[dict, dict]:
    """(config, errors by field name)."""
    errors = {}
    tiers = {}
    for tier in rules.TIERS:
        tiers[tier] = {}
        for name, metric in staff_metrics.items():
            field = f"tier-{tier}-{name}"
            value, error = _number(form.get(field), allow_float=metric.unit in ("rating", "years"))
            if error:
                errors[field] = error
            elif value is not None:
                tiers[tier][name] = value
    base, error = _number(form.get("stars-base"))
    if error or base is None or not 1 <= base <= 5:
        errors["stars-base"] = _("From 1 to 5.")
    star_rules = []
    for i in range(rules.MAX_RULES):
        metric = (form.get(f"rule-{i}-metric") or "").strip()
        if not metric:
            continue
        if metric not in resident_metrics:
            errors[f"rule-{i}-metric"] = _("Unknown figure.")
            continue
        op = form.get(f"rule-{i}-op") or "at_least"
        if op not in rules.OPS:
            errors[f"rule-{i}-op"] = _("Choose at least or at most.")
        value, error = _number(form.get(f"rule-{i}-value"))
        if error or value is None:
            errors[f"rule-{i}-value"] = error or _("Enter a whole number.")
        try:
            stars = int((form.get(f"rule-{i}-stars") or "").strip())
        except ValueError:
            stars = None
        if stars is None or not -4 <= stars <= 4 or stars == 0:
            errors[f"rule-{i}-stars"] = _("From -4 to 4, not 0.")
        if not any(k.startswith(f"rule-{i}-") for k in errors):
            star_rules.append({"metric": metric, "op": op, "value": value, "stars": stars})
    return {"tiers": tiers, "stars": {"base": base or 3, "rules": star_rules}}, errors
