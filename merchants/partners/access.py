"""What a merchant user may see: only their own merchant (else 404, as if it did not exist)."""

import functools
from dataclasses import dataclass

from sqlalchemy import Uuid, bindparam, select

from core.driver_sql import DriverStatement
from core.loaded import as_loaded
from core.tenancy.access import NotFound
from core.tenancy.context import TenantScope, set_scope
from merchants.partners.models import Merchant, MerchantRole, MerchantUser


@dataclass
class MerchantActor:
    user: object
    merchant: Merchant
    role: MerchantRole

    @property
    def is_owner(self) -> bool:
        return self.role == MerchantRole.OWNER


@functools.cache
def _merchant_and_role():
    """Built once, on first use: every merchant request runs it, so it is Core and the
    merchant becomes the session's object through core.loaded (see user_for_token)."""
    merchants, staff = Merchant.__table__, MerchantUser.__table__
    return DriverStatement(
        select(merchants, staff.c.role.label("staff_role"))
        .join(staff, staff.c.merchant_id == merchants.c.id)
        .where(merchants.c.slug == bindparam("slug"), staff.c.user_id == bindparam("user", type_=Uuid)))


def enter_merchant(slug: str, user) -> MerchantActor:
    if not isinstance(slug, str) or len(slug) > 40 or user is None or not user.is_authenticated:
        raise NotFound(slug)
    row = _merchant_and_role().run({"slug": slug, "user": user.id}).first()
    if row is None:
        raise NotFound(slug)
    merchant = as_loaded(Merchant, row)
    role = row["staff_role"]
    set_scope(TenantScope(merchant_id=merchant.id))
    return MerchantActor(user, merchant, role)
