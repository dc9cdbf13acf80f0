from flask import g
from flask.views import MethodView
from flask_babel import gettext as _

from core.api.framework import ApiError, api_blueprint, authenticated_user, not_found
from core.districts.actions import do_create_community, do_create_district, do_create_district_admin
from core.districts.schemas import CommunityIn, CommunityOut, DistrictIn, DistrictOut, UserOut
from core.identity.actions import IdentityError
from core.identity.schemas import NewUserSchema
from core.tenancy.access import NotFound, district_for

blp = api_blueprint("api_districts", __name__, "/districts", description="Districts and communities")


def _conflict(exc: IdentityError):
    field = exc.field or "slug"
    message = _("This login is already taken.") if exc.code == "login_taken" else _("This slug is already taken.")
    return ApiError(409, exc.code, message, errors={field: [message]})


@blp.url_value_preprocessor
def _enter_district(endpoint, values):
    # The district is resolved before the body is read: another district (or none) answers
    # 404 whatever the body holds, so a 422 never tells that a district exists.
    if values and "district" in values:
        slug = values.pop("district")
        try:
            g.district = district_for(slug, authenticated_user())
        except NotFound as exc:
            raise not_found() from exc


@blp.route("")
class Districts(MethodView):
    @blp.arguments(DistrictIn)
    @blp.response(201, DistrictOut)
    def post(self, body):
        """Create a district (platform admin)."""
        user = authenticated_user()
        if not user.is_platform_admin:
            raise ApiError(403, "forbidden", _("You are not allowed to do this."))
        try:
            return do_create_district(body["slug"], body["name"], user)
        except IdentityError as exc:
            raise _conflict(exc) from exc


@blp.route("/<district>/admins")
class DistrictAdmins(MethodView):
    @blp.arguments(NewUserSchema)
    @blp.response(201, UserOut)
    def post(self, body):
        """Add a district admin (platform admin)."""
        user = authenticated_user()
        target = g.district
        if not user.is_platform_admin:
            raise ApiError(403, "forbidden", _("You are not allowed to do this."))
        try:
            return do_create_district_admin(target, body["login"], body["password"], body["name"], user)
        except IdentityError as exc:
            raise _conflict(exc) from exc


@blp.route("/<district>/communities")
class Communities(MethodView):
    @blp.arguments(CommunityIn)
    @blp.response(201, CommunityOut)
    def post(self, body):
        """Create a community with its first admin; the district's templates are copied in."""
        user = authenticated_user()
        target = g.district
        try:
            return do_create_community(
                target, slug=body["slug"], name=body["name"], timezone=body["timezone"],
                currency=body["currency"], admin=body["admin"], actor=user,
            )
        except IdentityError as exc:
            raise _conflict(exc) from exc
