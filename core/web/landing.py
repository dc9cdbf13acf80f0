"""Where a signed-in user goes: the places they may act in.

Capabilities outside core (merchants) add their places with ``register_places`` from their
``init_app``, so core never imports them.
"""

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core.extensions import db
from core.identity.models import DistrictAdmin
from core.tenancy.access import communities_of
from core.tenancy.models import District


@dataclass
class Place:
    kind: str  # "platform", "district", "community", "merchant"
    name: str
    url: str


_providers = []


def register_places(provider):
    # idempotent: init_app runs again for every app the process creates (tests make several)
    if provider not in _providers:
        _providers.append(provider)
    return provider


def places_of(user) -> list[Place]:
    places = []
    if user.is_platform_admin:
        places.append(Place("platform", _("Platform administration"), url_for("districts.platform_home")))
    districts = db.session.scalars(
        select(District).join(DistrictAdmin, DistrictAdmin.district_id == District.id)
        .where(DistrictAdmin.user_id == user.id).order_by(District.name)
    )
    places += [Place("district", d.name, url_for("districts.district_home", district=d.slug)) for d in districts]
    places += [
        Place("community", c.name, url_for("community.home", community=c.slug))
        for c in communities_of(user)
    ]
    for provider in _providers:
        places += provider(user)
    return places


# Where a person works. Other places (reviewing merchant sign-ups) are listed on "where to go"
# but do not stop a district admin from landing straight in their district.
PRIMARY_KINDS = {"platform", "district", "community", "merchant"}


def landing_url(user) -> str:
    primary = [place for place in places_of(user) if place.kind in PRIMARY_KINDS]
    if len(primary) == 1:
        return primary[0].url
    return url_for("web.my_places")
