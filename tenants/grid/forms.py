from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from tenants.grid.labels import STAFF_ROLES, TEAM_ROLES


def member_choices(members):
    return [(str(m.id), f"{m.name} (#{m.number})") for m in members]


class GridForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    parent = SelectField(_l("Part of grid"), validators=[Optional()],
                         description=_l("Choose a grid to make this a micro-grid."))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class GridEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class StaffForm(FlaskForm):
    member = SelectField(_l("Person"), validators=[DataRequired()])
    role = SelectField(_l("Role"), choices=[(k.value, v) for k, v in STAFF_ROLES.items()],
                       validators=[DataRequired()])


class MemberForm(FlaskForm):
    """One person: unassign from a grid, remove from a team, make leader."""

    member = SelectField(_l("Person"), validators=[DataRequired()])


class BuildingForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("For example: Building 3"))
    grid = SelectField(_l("Grid"), validators=[DataRequired()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])


class MoveBuildingForm(FlaskForm):
    grid = SelectField(_l("Grid"), validators=[DataRequired()])


class ResidentForm(FlaskForm):
    member = SelectField(_l("Resident"), validators=[DataRequired()])
    unit = StringField(_l("Unit and room"), validators=[Optional(), Length(max=40)],
                       description=_l("For example: Unit 2, Room 301"))


class TeamForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    role = SelectField(_l("Standing role"), validators=[Optional()],
                       choices=[("", _l("None"))] + [(k.value, v) for k, v in TEAM_ROLES.items()])
    grid = SelectField(_l("Grid"), validators=[Optional()])
