"""The world's Stripe rows: the victims of the cross-tenant harness (c2, d2, m2) have a
subscription and a connected account, and their Stripe ids are secrets no other tenant's page
may show (``world.extra["secrets"]``, read by tests/core/test_cross_tenant.py)."""

from tests.world import world_step


@world_step
def stripe_rows(w) -> None:
    from core.billing.models import BillingCustomer, BillingSubscription
    from core.extensions import db
    from merchants.payments.models import ConnectedAccount

    secrets = {"c2": {"cus_world_c2", "sub_world_c2"}, "d2": {"cus_world_d2", "sub_world_d2"},
               "m2": {"acct_world_m2"}}
    for payer, column in (("c2", "community_id"), ("d2", "district_id")):
        customer = BillingCustomer(stripe_customer_id=f"cus_world_{payer}", email=f"{payer}@example.cn",
                                   **{column: w.ids[payer]})
        db.session.add(customer)
        db.session.flush()
        db.session.add(BillingSubscription(customer_id=customer.id, stripe_subscription_id=f"sub_world_{payer}",
                                           plan=column.removesuffix("_id"), status="past_due"))
    db.session.add(ConnectedAccount(merchant_id=w.ids["m2"], stripe_account_id="acct_world_m2",
                                    details_submitted=True))
    db.session.commit()
    for realm, values in secrets.items():
        w.extra.setdefault("secrets", {}).setdefault(realm, set()).update(values)
