"""What a merchant user may see: only their own merchant (else 404, as if it did not exist)."""

import functools
from dataclasses import dataclass

from sqlalchemy import Uuid, bindparam, select

from core.extensions import db
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
    """Built once, on first use: every merchant request runs it (see user_for_token)."""
    return (select(Merchant, MerchantUser.role)
            .join(MerchantUser, MerchantUser.merchant_id == Merchant.id)
            .where(Merchant.slug == bindparam("slug"), MerchantUser.user_id == bindparam("user", type_=Uuid)))


def enter_merchant(slug: str, user) -> MerchantActor:
    if not isinstance(slug, str) or len(slug) > 40 or user is None or not user.is_authenticated:
        raise NotFound(slug)
    row = db.session.execute(_merchant_and_role(), {"slug": slug, "user": user.id}).first()
    if row is None:
        raise NotFound(slug)
    merchant, role = row
    set_scope(TenantScope(merchant_id=merchant.id))
    return MerchantActor(user, merchant, role)
