"""Choices of the audit trail."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    STATE_CHANGE = "state_change", _("State change")
    ASSIGNMENT_CREATED = "assignment_created", _("Assignment created")
    PROTECTED_READ = "protected_read", _("Protected field read")
    ACCESS_DENIED = "access_denied", _("Access denied")
    # Accounts: created, role, organisation or activity changed, password changed, tokens.
    ACCOUNT_CHANGE = "account_change", _("Account change")
    # Retention (docs/operations.md): what one run removed, by count; and the seal of the
    # gaps its removal of old refused-access rows left in the chain.
    RETENTION_PURGE = "retention_purge", _("Retention purge")
    AUDIT_SEAL = "audit_seal", _("Audit trail gaps sealed")
