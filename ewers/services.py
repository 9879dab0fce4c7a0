"""Writes of the core domain: regions, organisations, users."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from ewers.choices import PARENT_LEVEL, RegionLevel, RiskLevel, Role, Sector
from ewers.models import Organisation, Region, Theme, User


def region_placement_check(*, level: str, parent: Region | None, existing: Region | None = None) -> None:
    """Raise ValidationError unless a region of ``level`` may sit under ``parent``.

    Its parent must be one level above it, and a region with children keeps its level,
    since changing it would break the hierarchy below.
    """
    if level not in RegionLevel.values:
        raise ValidationError({"level": _("Unknown level %(level)s.") % {"level": level}})
    expected_parent = PARENT_LEVEL[level]
    if expected_parent is None and parent is not None:
        raise ValidationError({"parent": _("A country has no parent.")})
    if expected_parent is not None and (parent is None or parent.level != expected_parent):
        raise ValidationError(
            {"parent": _("A %(level)s must sit inside a %(parent)s.") % {"level": level, "parent": expected_parent}}
        )
    if existing is not None and existing.level != level and existing.children.exists():
        raise ValidationError({"level": _("%(code)s has children; its level cannot change.") % {"code": existing.code}})


@transaction.atomic
def region_upsert(
    *,
    code: str,
    name: str,
    level: str,
    parent: Region | None = None,
    boundary: dict[str, Any] | None = None,
) -> tuple[Region, bool]:
    """Create or update the region ``code`` under ``parent``; returns (region, created).

    Keeps the denormalised ancestor columns in step with ``parent``, for the region and,
    when it moves, for everything below it. A region's level cannot change once it has
    children, since that would break the hierarchy below.
    """
    region = Region.objects.select_for_update().filter(code=code).first()
    region_placement_check(level=level, parent=parent, existing=region)
    created = region is None
    moved = not created and region is not None and region.parent_id != (parent.pk if parent else None)
    if region is None:
        region = Region(code=code)
    region.name = name
    region.level = level
    region.parent = parent
    region.boundary = boundary
    region.country = region.region = region.district = None
    if parent is not None:
        region.country = parent.country or parent
        if parent.level in (RegionLevel.REGION, RegionLevel.DISTRICT):
            region.region = parent.region or parent
        if parent.level == RegionLevel.DISTRICT:
            region.district = parent
    region.full_clean()
    region.save()
    if moved:
        _region_descendants_follow(region)
    return region, created


def _region_descendants_follow(region: Region) -> None:
    """After ``region`` moved, give the rows below it their new ancestors (one UPDATE)."""
    if region.level == RegionLevel.REGION:
        Region.objects.filter(region=region).update(country=region.country)
    elif region.level == RegionLevel.DISTRICT:
        Region.objects.filter(district=region).update(country=region.country, region=region.region)


def theme_upsert(*, code: str, name: str, description: str = "") -> Theme:
    theme, _created = Theme.objects.update_or_create(code=code, defaults={"name": name, "description": description})
    return theme


@transaction.atomic
def organisation_upsert(
    *,
    code: str,
    name: str,
    sector: str,
    coverage: Iterable[Region],
    mandate: Iterable[Theme],
    min_alert_level: str = RiskLevel.HIGH,
    contact_email: str = "",
) -> Organisation:
    """Create or update an organisation with exactly the given coverage and mandate."""
    if sector not in Sector.values:
        raise ValidationError({"sector": _("Unknown sector %(sector)s.") % {"sector": sector}})
    organisation = Organisation.objects.filter(code=code).first() or Organisation(code=code)
    values = {"name": name, "sector": sector, "min_alert_level": min_alert_level, "contact_email": contact_email}
    # Saved only when something changed, so an unchanged upsert leaves no history entry.
    if organisation.pk is None or any(getattr(organisation, k) != v for k, v in values.items()):
        for key, value in values.items():
            setattr(organisation, key, value)
        organisation.full_clean()
        organisation.save()
    organisation.coverage.set(list(coverage))
    organisation.mandate.set(list(mandate))
    return organisation


ADMINISTRATORS_GROUP = "Administrators"
# What the administrator role manages in the admin site (PRODUCT.md: organisations, users,
# regions and boundaries, and the indicator catalogue), and nothing about cases: no
# reports, assessments, alerts or assignments.
ADMINISTRATOR_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "ewers": {
        "region": ("view", "add", "change"),
        "theme": ("view", "add", "change"),
        "organisation": ("view", "add", "change"),
        "user": ("view", "add", "change"),
    },
    "indicators": {"indicator": ("view", "add", "change"), "indicatorversion": ("view",)},
    "axes": {"accessattempt": ("view", "delete"), "accessfailurelog": ("view",), "accesslog": ("view",)},
    "authtoken": {"tokenproxy": ("view", "delete")},
}


def administrators_group_ensure() -> Group:
    """The group that gives administrators exactly ADMINISTRATOR_PERMISSIONS."""
    group, _created = Group.objects.get_or_create(name=ADMINISTRATORS_GROUP)
    wanted = Q(pk__in=[])
    for app_label, models in ADMINISTRATOR_PERMISSIONS.items():
        for model, actions in models.items():
            wanted |= Q(
                content_type__app_label=app_label,
                content_type__model=model,
                codename__in=[f"{action}_{model}" for action in actions],
            )
    group.permissions.set(Permission.objects.filter(wanted))
    return group


def user_upsert(
    *,
    username: str,
    organisation: Organisation | None,
    role: str,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> tuple[User, bool]:
    """Create or update a user; ``password`` (when given) is hashed, never stored plain."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role %(role)s.") % {"role": role}})
    if organisation is None and not is_superuser:
        raise ValidationError({"organisation": _("Every user except a superuser belongs to an organisation.")})
    user = User.objects.filter(username=username).first()
    created = user is None
    if user is None:
        user = User(username=username)
    user.organisation = organisation
    user.role = role
    user.email = email
    user.first_name = first_name
    user.last_name = last_name
    user.is_staff = is_staff
    user.is_superuser = is_superuser
    if password is not None:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    if role == Role.ADMIN:
        user.is_staff = True  # administrators work in the admin site
    user.full_clean()
    user.save()
    if role == Role.ADMIN:
        user.groups.add(administrators_group_ensure())
    else:
        user.groups.remove(*Group.objects.filter(name=ADMINISTRATORS_GROUP))
    return user, created


def sessions_clear_expired() -> int:
    """Delete expired database sessions; returns how many went."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    deleted, _by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
