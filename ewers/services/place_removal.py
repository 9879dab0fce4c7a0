"""Taking places away again: deleting a place that holds no case, and undoing a boundary
import (docs/boundaries.md, "Undo and delete")."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ewers.choices import RegionLevel
from ewers.models import BoundaryImport, Region, User
from ewers.place_usage import all_cases_of, describe_counts
from ewers.services.places import region_upsert

# Deepest first, so that no place is deleted while another still points at it.
_DELETE_ORDER = [RegionLevel.COMMUNITY, RegionLevel.DISTRICT, RegionLevel.REGION, RegionLevel.COUNTRY]


def region_delete_problem(region: Region) -> str | None:
    """Why ``region`` cannot be deleted, or None: it has places below it, or cases on it."""
    if Region.objects.filter(parent=region).exists():
        return _("%(place)s has places below it; delete or move them first.") % {"place": region}
    cases = all_cases_of([region.pk])
    if cases:
        return _("%(place)s has cases (%(cases)s); a place with cases cannot be deleted.") % {
            "place": region,
            "cases": describe_counts(cases),
        }
    return None


@transaction.atomic
def region_delete(*, region: Region) -> None:
    """Delete a place without children or cases; ValidationError says why otherwise."""
    region = Region.objects.select_for_update().get(pk=region.pk)
    problem = region_delete_problem(region)
    if problem:
        raise ValidationError(problem)
    region.delete()


def boundary_import_undo_problem(record: BoundaryImport) -> str | None:
    """Why the import cannot be undone, or None."""
    if record.undone_at is not None:
        return _("This import was undone already.")
    later = BoundaryImport.objects.filter(
        country_code=record.country_code, undone_at__isnull=True, created_at__gt=record.created_at
    ).exclude(pk=record.pk)
    if later.exists():
        return _("A later import of %(country)s must be undone first.") % {"country": record.country_code}
    created = set(record.created_ids)
    cases = all_cases_of(created)
    if cases:
        return _(
            "Places this import created now have cases (%(cases)s): it can no longer be undone. "
            "Correct the places in the admin instead."
        ) % {"cases": describe_counts(cases)}
    # The places it moved under a place it created go back to their old parent first.
    moved_back = [int(pk) for pk in record.previous]
    strangers = Region.objects.filter(parent__in=created).exclude(pk__in=[*created, *moved_back])
    if strangers.exists():
        return _("Places this import created now hold other places (%(place)s and others): undo those first.") % {
            "place": strangers.first()
        }
    return None


@transaction.atomic
def boundary_import_undo(*, record: BoundaryImport, user: User | None = None) -> None:
    """Delete the places the import created and put back what it changed; all or nothing.

    Refused (ValidationError) when a later import of the country is still in place, or
    when a case (a report, an alert…) has been logged on a place it created.
    """
    record = BoundaryImport.objects.select_for_update().get(pk=record.pk)
    problem = boundary_import_undo_problem(record)
    if problem:
        raise ValidationError(problem)
    _restore(record)
    created = Region.objects.filter(pk__in=record.created_ids)
    for level in _DELETE_ORDER:
        created.filter(level=level).delete()
    record.undone_at = timezone.now()
    record.undone_by = user
    record.save(update_fields=["undone_at", "undone_by"])


def _restore(record: BoundaryImport) -> None:
    """Put the places the import changed back as they were (moving back what it moved)."""
    places = Region.objects.in_bulk([int(pk) for pk in record.previous])
    parents = Region.objects.in_bulk([state["parent_id"] for state in record.previous.values() if state["parent_id"]])
    for pk, state in record.previous.items():
        place = places.get(int(pk))
        if place is None:
            continue
        parent = parents.get(state["parent_id"]) if state["parent_id"] else None
        region_upsert(code=place.code, name=state["name"], level=place.level, parent=parent, boundary=state["boundary"])
        Region.objects.filter(pk=place.pk).update(outline=state["outline"])
