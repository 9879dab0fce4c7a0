"""Writes of accounts: users and their role, passwords, API tokens and gateway tokens.

Security rules enforced here, whoever calls (the admin, a command, the seed):
- the role decides staff status, groups and permissions; nobody sets them directly;
- only a superuser creates administrators or changes their accounts (``actor``);
- a new password, a deactivated user or organisation revokes every API token;
- each change of role, organisation, activity or password, and each gateway token issued
  or revoked, goes into the audit trail.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.choices import AuditAction
from audit.services import audit_record
from ewers.auth import gateway_token_digest, password_fingerprints, user_token_shaped
from ewers.choices import LANGUAGES, Role
from ewers.models import ApiToken, GatewayToken, Organisation, User
from ewers.permissions import USER_MANAGE_DENIED, permission_require, user_may_manage

ADMINISTRATORS_GROUP = "Administrators"
# What the administrator role manages in the admin site (PRODUCT.md: organisations, users,
# regions and boundaries, and the indicator catalogue), and nothing about cases: no
# reports, assessments, alerts or assignments.
ADMINISTRATOR_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "ewers": {
        # Delete: only places without cases (ewers.services.region_delete refuses the others).
        "region": ("view", "add", "change", "delete"),
        "boundaryimport": ("view",),
        "theme": ("view", "add", "change"),
        "themetier": ("view", "add", "change", "delete"),
        "organisation": ("view", "add", "change"),
        "user": ("view", "add", "change"),
        "apitoken": ("view", "delete"),
        "gatewaytoken": ("view", "add", "change"),
    },
    "indicators": {"indicator": ("view", "add", "change"), "indicatorversion": ("view",)},
    # Monitors' phone numbers for SMS reports (registered and removed, never shown in clear).
    "intake": {"sendernumber": ("view", "add", "delete")},
    # How often each field monitor is expected to report (missed check-ins, docs/learning.md).
    "learning": {"checkinexpectation": ("view", "add", "change", "delete"), "checkinmiss": ("view",)},
    "axes": {"accessattempt": ("view", "delete"), "accessfailurelog": ("view",), "accesslog": ("view",)},
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


def _account_changes(user: User, *, created: bool, before: dict[str, object]) -> list[str]:
    """What changed of the audited fields, in a short plain phrase each (no secrets)."""
    after = {"role": user.role, "organisation": getattr(user.organisation, "code", "-"), "active": user.is_active}
    if created:
        return [f"created: role {after['role']}, organisation {after['organisation']}"]
    return [f"{key} {before[key]} → {value}" for key, value in after.items() if before[key] != value]


@transaction.atomic
def user_upsert(
    *,
    username: str,
    organisation: Organisation | None,
    role: str,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    is_active: bool | None = None,
    is_superuser: bool = False,
    actor: User | None = None,
) -> tuple[User, bool]:
    """Create or update a user; ``password`` (when given) is hashed, never stored plain.

    The role decides the rest: administrators (and superusers) are staff, administrators
    get exactly the Administrators group, and nobody keeps groups or permissions of their
    own. With an ``actor`` (a person acting in the admin), ``user_may_manage`` must allow
    the change: only a superuser makes or changes administrators and superusers. A new
    password or a deactivation revokes the user's API tokens. Role, organisation and
    activity changes are audited, with the actor.
    """
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role %(role)s.") % {"role": role}})
    if organisation is None and not is_superuser:
        raise ValidationError({"organisation": _("Every user except a superuser belongs to an organisation.")})
    user = User.objects.select_for_update().filter(username=username).first()
    if actor is not None:
        permission_require(user_may_manage(actor=actor, target=user, role=role), USER_MANAGE_DENIED)
        permission_require(actor.is_superuser or not is_superuser, USER_MANAGE_DENIED)
    created = user is None
    if user is None:
        user = User(username=username)
    before = {"role": user.role, "organisation": getattr(user.organisation, "code", "-"), "active": user.is_active}
    user.organisation = organisation
    user.role = role
    user.email = email
    user.first_name = first_name
    user.last_name = last_name
    user.is_superuser = is_superuser
    # Staff status follows the role: administrators work in the admin site, nobody else does.
    user.is_staff = role == Role.ADMIN or user.is_superuser
    if is_active is not None:
        user.is_active = is_active
    if password is not None:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    user.user_permissions.clear()
    user.groups.set([administrators_group_ensure()] if role == Role.ADMIN else [])
    if password is not None or not user.is_active:
        user_tokens_revoke(user=user)
    if password is not None and not created:
        audit_record(
            action=AuditAction.ACCOUNT_CHANGE,
            actor=actor,
            object_type="user",
            object_id=user.pk,
            detail="password changed",
        )
    # A person creating an account is audited; the seed and the suite's cast are not.
    changes = _account_changes(user, created=created, before=before) if actor is not None or not created else []
    for change in changes:
        audit_record(
            action=AuditAction.ACCOUNT_CHANGE, actor=actor, object_type="user", object_id=user.pk, detail=change
        )
    return user, created


@transaction.atomic
def user_password_set(*, user: User, password: str, actor: User | None = None) -> None:
    """Give ``user`` a new password (already validated) and revoke every API token.

    Django ends the user's other sessions by itself (each carries a hash of the password);
    the caller keeps its own session with ``update_session_auth_hash`` if it wants to.
    """
    user.set_password(password)
    user.save(update_fields=["password"])
    user_tokens_revoke(user=user)
    audit_record(
        action=AuditAction.ACCOUNT_CHANGE,
        actor=actor or user,
        object_type="user",
        object_id=user.pk,
        detail="password changed",
    )


def user_tokens_revoke(*, user: User) -> int:
    """Delete every API token of ``user``; returns how many there were."""
    deleted, _by_model = ApiToken.objects.filter(user=user).delete()
    return int(deleted)


@transaction.atomic
def organisation_tokens_revoke(*, organisation: Organisation, actor: User | None = None) -> int:
    """Revoke the API tokens of every member of a deactivated organisation (audited)."""
    deleted = int(ApiToken.objects.filter(user__organisation=organisation).delete()[0])
    audit_record(
        action=AuditAction.ACCOUNT_CHANGE,
        actor=actor,
        object_type="organisation",
        object_id=organisation.pk,
        detail=f"deactivated: {deleted} API tokens revoked",
    )
    return deleted


def api_token_issue(*, user: User) -> tuple[ApiToken, str]:
    """A new API token for one sign-in: (the stored token, the key to hand out once).

    Only the key's digest is stored; the token expires after EWERS_TOKEN_TTL_HOURS and is
    bound to the user's current password (ewers.auth.MemberTokenAuthentication).
    """
    token, key = ApiToken.objects.create(user=user, password_fingerprint=password_fingerprints(user)[0])
    return token, key


def api_token_revoke(*, token: ApiToken) -> None:
    token.delete()


def api_tokens_clear_expired() -> int:
    """Delete expired API tokens; returns how many went."""
    deleted, _by_model = ApiToken.objects.filter(expiry__lt=timezone.now()).delete()
    return int(deleted)


def sessions_clear_expired() -> int:
    """Delete expired database sessions; returns how many went."""
    deleted, _by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


GATEWAY_TOKEN_PREFIX = "ewgw_"  # noqa: S105 - marks a key as a gateway token, no secret


@transaction.atomic
def gateway_token_issue(
    *, name: str, user: User, actor: User | None = None, key: str | None = None
) -> tuple[GatewayToken, str]:
    """Issue a named gateway token acting as ``user``: (the stored token, the key).

    The key is shown once and only its digest is kept. ``key`` fixes it (the demo's
    published gateway token only); otherwise it is 256 random bits.
    """
    key = key or GATEWAY_TOKEN_PREFIX + secrets.token_urlsafe(32)
    if user_token_shaped(key):
        # It would be taken for a user's token and never reach the gateways (ewers.auth).
        raise ValueError("a gateway key may not have the shape of a user's API token")
    token = GatewayToken(name=name, user=user, digest=gateway_token_digest(key), prefix=key[:8], created_by=actor)
    token.full_clean()
    token.save()
    audit_record(
        action=AuditAction.ACCOUNT_CHANGE,
        actor=actor,
        object_type="gateway_token",
        object_id=token.pk,
        detail=f"issued to {name}, acting as {user.username}",
    )
    return token, key


@transaction.atomic
def gateway_token_sign(*, token: GatewayToken, actor: User | None = None, secret: str | None = None) -> str:
    """Give the gateway a new signing secret (256 random bits unless ``secret`` fixes it):
    from now on each of its requests must carry the signature (``ewers.auth``). The
    secret is returned to be shown once; it is kept encrypted."""
    secret = secret or secrets.token_urlsafe(32)
    token.signing_secret = secret
    token.save(update_fields=["signing_secret"])
    audit_record(
        action=AuditAction.ACCOUNT_CHANGE,
        actor=actor,
        object_type="gateway_token",
        object_id=token.pk,
        detail=f"new signing secret for {token.name}",
    )
    return secret


@transaction.atomic
def gateway_tokens_revoke(*, tokens: Iterable[GatewayToken], actor: User | None = None) -> int:
    """Revoke gateway tokens for good (they stay listed, with their last use)."""
    revoked = 0
    for token in tokens:
        if token.revoked_at is None:
            GatewayToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
            audit_record(
                action=AuditAction.ACCOUNT_CHANGE,
                actor=actor,
                object_type="gateway_token",
                object_id=token.pk,
                detail=f"revoked {token.name}",
            )
            revoked += 1
    return revoked


def user_language_set(*, user: User, language: str) -> None:
    """Remember the language ``user`` chose (blank: the browser's); an unknown code is refused."""
    if language not in {code for code, _name in LANGUAGES} and language != "":
        raise ValueError(f"unknown language {language!r}")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
