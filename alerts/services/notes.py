"""Notes on an alert: written once for an audience the writer picks (its own organisation,
every organisation on the alert, or the coordinators), notified to that audience, audited,
never changed (PRODUCT.md, "Working together")."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.choices import TEXT_MAX_LENGTH, NoteAudience
from alerts.models import Alert, AlertNote, Assignment
from alerts.permissions import MAY_NOT_WRITE_NOTE, alert_may_write_note
from alerts.selectors import responders_active
from alerts.services.alerts import alert_require_open
from alerts.services.notifications import community_coordinators, note_notify
from alerts.services.timeline import audit_add, text_required
from ewers.choices import Role
from ewers.models import User
from ewers.permissions import permission_require


def note_readers(note: AlertNote) -> list[User]:
    """The users a note is addressed to (``AlertNoteQuerySet.visible_to``'s rule, as
    people to tell): its writer's organisation always; the organisations holding the alert
    for "assigned"; the coordinators for "assigned" and "coordinators"."""
    alert = note.alert
    own = User.objects.filter(
        organisation=note.organisation_id, is_active=True, role__in=[Role.RESPONDER, Role.COORDINATOR]
    )
    readers = {user.pk: user for user in own}
    if note.audience in (NoteAudience.ASSIGNED, NoteAudience.COORDINATORS):
        readers |= {user.pk: user for user in community_coordinators(alert.community)}
    if note.audience == NoteAudience.ASSIGNED:
        holders = Assignment.objects.holding().filter(alert=alert).values("organisation")
        readers |= {user.pk: user for user in responders_active().filter(organisation__in=holders)}
    return [readers[pk] for pk in sorted(readers)]


@transaction.atomic
def alert_note_add(*, alert: Alert, user: User, text: str, audience: str, at: datetime | None = None) -> AlertNote:
    """Write a note on an open alert for ``audience``; its readers are told."""
    at = at or timezone.now()
    holds = Assignment.objects.held_by(user.organisation_id).filter(alert=alert).exists()
    permission_require(alert_may_write_note(user, alert, holds=holds), MAY_NOT_WRITE_NOTE)
    locked = Alert.objects.select_for_update(of=("self",)).select_related("community", "closed_by").get(pk=alert.pk)
    alert_require_open(locked)
    if audience not in NoteAudience.values:
        raise ValidationError({"audience": [_("Choose who reads it: organisation, assigned or coordinators.")]})
    text = text_required(text, "text", _("Write the note."))
    if len(text) > TEXT_MAX_LENGTH:
        raise ValidationError({"text": [_("At most %(n)d characters.") % {"n": TEXT_MAX_LENGTH}]})
    assert user.organisation is not None  # alert_may_write_note: only members of an organisation
    note = AlertNote.objects.create(
        alert=locked, author=user, organisation=user.organisation, audience=audience, text=text, created_at=at
    )
    audit_add(locked, f"note {note.pk} written for {audience}", actor=user, at=at)
    readers = [reader for reader in note_readers(note) if reader.pk != user.pk]
    note_notify(locked, readers, organisation=user.organisation, at=at)
    return note
