from flask import url_for
from flask_babel import gettext as _

from core.identity.models import Role
from core.web.community import ActionTile, register_action


def billing_tiles(actor) -> list[ActionTile]:
    from core.billing.queries import billing_enabled

    if not actor.can(Role.ADMIN) or not billing_enabled():
        return []
    return [ActionTile(_("Billing: plan and invoices"), url_for("community_billing.community_billing"),
                       order=95)]


def district_links(district) -> list[tuple[str, str]]:
    from core.billing.queries import billing_enabled

    if not billing_enabled():
        return []
    return [(_("Billing: plan and invoices"),
             url_for("district_billing.district_billing", district=district.slug))]


def init_app(app):
    from core.billing import actions, models, views  # noqa: F401  (models: the tables)
    from core.billing.notice import billing_notice
    from core.districts.views import register_district_link
    from core.payments.webhooks import on_event

    register_action(billing_tiles)
    register_district_link(district_links)
    on_event("customer.subscription.created", "customer.subscription.updated",
             "customer.subscription.deleted")(actions.apply_subscription_event)
    on_event("invoice.payment_failed", "invoice.paid")(actions.apply_invoice_event)
    app.jinja_env.globals["billing_notice"] = billing_notice
    app.register_blueprint(views.community_bp)
    app.register_blueprint(views.district_bp)
