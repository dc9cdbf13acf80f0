"""What a merchant user may see: only their own merchant (else 404, as if it did not exist)."""

from dataclasses import dataclass

from sqlalchemy import select

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


def enter_merchant(slug: str, user) -> MerchantActor:
    if not isinstance(slug, str) or len(slug) > 40 or user is None or not user.is_authenticated:
        raise NotFound(slug)
    row = db.session.execute(
        select(Merchant, MerchantUser.role)
        .join(MerchantUser, MerchantUser.merchant_id == Merchant.id)
        .where(Merchant.slug == slug, MerchantUser.user_id == user.id)
    ).first()
    if row is None:
        raise NotFound(slug)
    merchant, role = row
    set_scope(TenantScope(merchant_id=merchant.id))
    return MerchantActor(user, merchant, role)
