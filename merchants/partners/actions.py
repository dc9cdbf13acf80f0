from sqlalchemy import select

from core.audit.actions import record
from core.extensions import db
from core.identity.actions import IdentityError, do_create_user
from core.transactions import atomic
from merchants.partners.models import Merchant, MerchantRole, MerchantUser


def do_create_merchant(slug: str, name: str, owner: dict, actor, **profile) -> Merchant:
    """Create a merchant with its owner's login, in one transaction."""
    with atomic():
        if db.session.scalar(select(Merchant.id).where(Merchant.slug == slug)):
            raise IdentityError("slug_taken", "slug_taken", field="slug")
        merchant = Merchant(slug=slug, name=name, **profile)
        db.session.add(merchant)
        db.session.flush()
        user = do_create_user(owner["login"], owner["password"], owner["name"], actor=actor)
        db.session.add(MerchantUser(merchant_id=merchant.id, user_id=user.id, role=MerchantRole.OWNER))
        record("merchant.created", actor, merchant_id=merchant.id, slug=slug)
    return merchant


def do_add_merchant_user(merchant: Merchant, user, role: MerchantRole, actor) -> MerchantUser:
    with atomic():
        grant = MerchantUser(merchant_id=merchant.id, user_id=user.id, role=MerchantRole(role))
        db.session.add(grant)
        record("merchant.user_added", actor, merchant_id=merchant.id, user=user.id, role=role)
    return grant
