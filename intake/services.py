"""Writes of the intake app: numbers registered on monitors' profiles, messages received
from a gateway, and the coordinators' triage of messages from unregistered numbers.

A message from a registered number is a report by its monitor through
``indicators.services.field_report_create`` (the same checks, idempotency, history and
scoring as every other report), keyed ``sms:<gateway>:<message id>`` so that a gateway's
resend makes no second report. A message from any other number waits in the triage queue
(one per gateway and message id) until a coordinator covering its community accepts it
(a report by that coordinator, who grades it) or discards it; both are audited. The
number itself is never written anywhere: only its keyed hash and its mask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Func, Value
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.choices import AuditAction
from audit.services import audit_record
from ewers.auth import user_may_sign_in
from ewers.exceptions import IdempotencyKeyReused, StateConflict
from ewers.models import GatewayToken, Region, User
from ewers.permissions import permission_require
from indicators.models import FieldReport, Indicator
from indicators.permissions import field_report_may_create
from indicators.services import ReadingInput, field_report_create
from intake import replies, syntax
from intake.choices import TriageState
from intake.models import SenderNumber, TriageItem
from intake.permissions import MAY_NOT_TRIAGE, triage_may_decide
from intake.phones import phone_mask, phone_normalise
from intake.senders import sender_digest, sender_digests

MESSAGE_ID_MAX_LENGTH = 100
NOT_A_NUMBER = gettext_lazy("Not a phone number: give it in international form, + and the country code first.")


# --- Registered numbers ----------------------------------------------------------------


def sender_number_validate(*, user: User, number: str) -> str:
    """The number, normalised, if it may be registered on ``user``'s profile; otherwise
    ValidationError (whose messages never repeat the number)."""
    normalised = phone_normalise(number)
    if normalised is None:
        raise ValidationError({"number": [NOT_A_NUMBER]})
    if not field_report_may_create(user=user):
        raise ValidationError({"user": [_("Only analysts and coordinators send reports by SMS.")]})
    if SenderNumber.objects.filter(digest__in=sender_digests(normalised)).exists():
        raise ValidationError({"number": [_("This number is already registered.")]})
    return normalised


@transaction.atomic
def sender_number_register(
    *, user: User, number: str, language: str = replies.DEFAULT_LANGUAGE, actor: User | None = None
) -> SenderNumber:
    """Register ``number`` on ``user``'s profile: their messages become their reports.
    Only the keyed hash and the mask are kept; the audit row names the mask."""
    normalised = sender_number_validate(user=user, number=number)
    row = SenderNumber.objects.create(
        user=user,
        digest=sender_digest(normalised),
        masked=phone_mask(normalised),
        language=replies.language_of(language),
    )
    audit_record(
        action=AuditAction.ACCOUNT_CHANGE,
        actor=actor,
        object_type="sender_number",
        object_id=row.pk,
        detail=f"phone number {row.masked} registered for {user.username}",
    )
    return row


@transaction.atomic
def sender_number_remove(*, row: SenderNumber, actor: User | None = None) -> None:
    """Remove a registered number: its messages go to triage from now on."""
    audit_record(
        action=AuditAction.ACCOUNT_CHANGE,
        actor=actor,
        object_type="sender_number",
        object_id=row.pk,
        detail=f"phone number {row.masked} removed from {row.user.username}",
    )
    row.delete()


# --- Messages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SmsAnswer:
    """What the gateway is told: the text to send back, and what became of the message."""

    reply: str
    status: str  # "received" (a report), "triage" (queued for a coordinator), "refused"
    report: int | None = None
    triage: str | None = None


class _Refused(Exception):
    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


def _value_text(value: float) -> str:
    return syntax.value_format(value)


def _code_key_sql(field: str) -> Func:
    """``syntax.code_key`` in SQL: upper case without ``-``, ``_`` and ``.``."""
    expression: Func = Upper(F(field))
    for separator in "-_.":
        expression = Func(expression, Value(separator), Value(""), function="REPLACE")
    return expression


def _community_resolve(code: str, monitor: User | None) -> Region:
    """The one community ``code`` names (within the monitor's coverage, if one is known):
    compared without case or separators; among look-alikes, the exact code."""
    key = syntax.code_key(code)
    communities = Region.objects.communities().annotate(sms_key=_code_key_sql("code")).filter(sms_key=key)
    if monitor is not None:
        # Outside the monitor's coverage a community is "unknown": its existence is not confirmed.
        communities = communities.filter(pk__in=Region.objects.covered_by(monitor).values("pk"))
    found = list(communities[:20])
    exact = [c for c in found if c.code.upper() == code]
    if len(exact) == 1:
        return exact[0]
    if not found:
        raise _Refused(replies.UNKNOWN_COMMUNITY, community=code)
    if len(found) > 1:
        raise _Refused(replies.AMBIGUOUS_COMMUNITY, community=code)
    return found[0]


def _readings_resolve(readings: Sequence[tuple[str, float]]) -> list[tuple[Indicator, float]]:
    by_key = {syntax.code_key(i.code): i for i in Indicator.objects.filter(is_active=True)}
    resolved = []
    for code, value in readings:
        indicator = by_key.get(code)
        if indicator is None:
            raise _Refused(replies.UNKNOWN_INDICATOR, code=code)
        if not indicator.scale_min <= value <= indicator.scale_max:
            raise _Refused(
                replies.OFF_SCALE,
                code=indicator.code,
                min=_value_text(indicator.scale_min),
                max=_value_text(indicator.scale_max),
                value=_value_text(value),
            )
        resolved.append((indicator, value))
    return resolved


def _registered(number: str) -> SenderNumber | None:
    row = SenderNumber.objects.select_related("user__organisation").filter(digest__in=sender_digests(number)).first()
    # A number whose monitor may no longer report (deactivated, another role) is nobody's.
    if row is None or not user_may_sign_in(row.user) or not field_report_may_create(user=row.user):
        return None
    return row


def sms_receive(
    *,
    gateway: GatewayToken,
    sender: str,
    text: str,
    message_id: str,
    received_at: datetime | None = None,
    language: str | None = None,
) -> SmsAnswer:
    """Take one message a gateway received; the answer says what to reply to the sender.

    A message with anything wrong saves nothing and is answered with what is wrong. Raises
    ValidationError for a malformed gateway request (a ``from`` that is no phone number, a
    bad ``id``), IdempotencyKeyReused when the gateway sends a message id again with
    another message, IdempotencyKeyInFlight while its first copy is being saved.
    """
    number = phone_normalise(sender)
    if number is None:
        raise ValidationError({"from": [NOT_A_NUMBER]})
    if not message_id or len(message_id) > MESSAGE_ID_MAX_LENGTH or not message_id.isprintable():
        raise ValidationError(
            {"id": [_("The gateway's message id: 1 to %(n)d printable characters.") % {"n": MESSAGE_ID_MAX_LENGTH}]}
        )
    registered = _registered(number)
    lang = registered.language if registered is not None else replies.language_of(language)
    try:
        parsed = syntax.message_parse(text)
        monitor = registered.user if registered is not None else None
        community = _community_resolve(parsed.community, monitor)
        readings = _readings_resolve(parsed.readings)
        if registered is not None:
            return _report_from_monitor(
                gateway=gateway,
                monitor=registered.user,
                message_id=message_id,
                parsed=parsed,
                community=community,
                readings=readings,
                received_at=received_at,
                language=lang,
            )
        return _triage_queue(
            gateway=gateway,
            number=number,
            message_id=message_id,
            parsed=parsed,
            community=community,
            readings=readings,
            received_at=received_at,
            language=lang,
        )
    except syntax.MessageError as exc:
        return SmsAnswer(replies.reply_refused(exc.message, lang, **exc.params), "refused")
    except _Refused as exc:
        return SmsAnswer(replies.reply_refused(exc.message, lang, **exc.params), "refused")


def _report_from_monitor(
    *,
    gateway: GatewayToken,
    monitor: User,
    message_id: str,
    parsed: syntax.ParsedMessage,
    community: Region,
    readings: list[tuple[Indicator, float]],
    received_at: datetime | None,
    language: str,
) -> SmsAnswer:
    key = f"sms:{gateway.pk}:{message_id}"
    now = timezone.now()
    observed_at = received_at
    if observed_at is None:
        # A resend without a time is the first message again: it keeps the first one's time.
        first = FieldReport.objects.filter(created_by=monitor, idempotency_key=key).only("observed_at").first()
        observed_at = first.observed_at if first is not None else now
    try:
        report, _created = field_report_create(
            user=monitor,
            community=community,
            observed_at=observed_at,
            readings=[ReadingInput(indicator=indicator, value=value) for indicator, value in readings],
            source_reliability=parsed.source_reliability,
            information_credibility=parsed.information_credibility,
            narrative=parsed.narrative,
            idempotency_key=key,
            received_at=now,
        )
    except ValidationError as exc:
        reason = " ".join(exc.messages)
        return SmsAnswer(replies.reply_text(replies.REFUSED, language, reason=reason), "refused")
    return SmsAnswer(replies.reply_text(replies.RECEIVED, language, report=report.pk), "received", report=report.pk)


def _triage_queue(
    *,
    gateway: GatewayToken,
    number: str,
    message_id: str,
    parsed: syntax.ParsedMessage,
    community: Region,
    readings: list[tuple[Indicator, float]],
    received_at: datetime | None,
    language: str,
) -> SmsAnswer:
    item = TriageItem(
        gateway=gateway,
        message_id=message_id,
        sender_digest=sender_digest(number),
        sender_masked=phone_mask(number),
        language=language,
        received_at=received_at or timezone.now(),
        community=community,
        readings=[[indicator.code, value] for indicator, value in readings],
        source_reliability=parsed.source_reliability,
        information_credibility=parsed.information_credibility,
        narrative=parsed.narrative,
    )
    existing = TriageItem.objects.filter(gateway=gateway, message_id=message_id).first()
    if existing is None:
        try:
            with transaction.atomic():
                item.save()
        except IntegrityError:
            # The same message raced in twice: the first copy stands.
            existing = TriageItem.objects.filter(gateway=gateway, message_id=message_id).first()
            if existing is None:
                raise
    if existing is not None:
        if not _same_message(existing, item, number):
            raise IdempotencyKeyReused(
                _("This message id was already used for another message (%(ref)s).") % {"ref": existing.reference},
                first_id=existing.pk,
            )
        item = existing
    return SmsAnswer(replies.reply_text(replies.TRIAGE, language, ref=item.reference), "triage", triage=item.reference)


def _same_message(first: TriageItem, again: TriageItem, number: str) -> bool:
    return (
        first.sender_digest in sender_digests(number)
        and first.community_id == again.community_id
        and [list(r) for r in first.readings] == [list(r) for r in again.readings]
        and first.grading == again.grading
        and first.narrative == again.narrative
    )


# --- Triage --------------------------------------------------------------------------------


def _triage_lock(item: TriageItem, user: User) -> TriageItem:
    permission_require(triage_may_decide(item=item, user=user), MAY_NOT_TRIAGE)
    locked = TriageItem.objects.select_for_update().get(pk=item.pk)
    if locked.state != TriageState.PENDING:
        raise StateConflict(_("This message was already handled: %(state)s.") % {"state": locked.get_state_display()})
    return locked


@transaction.atomic
def triage_accept(
    *, item: TriageItem, user: User, source_reliability: str, information_credibility: int
) -> FieldReport:
    """Accept a message as a report by the coordinator, graded by them; audited. Raises
    ValidationError if the report is invalid (nothing changes), StateConflict if the
    message was already handled."""
    item = _triage_lock(item, user)
    report, _created = field_report_create(
        user=user,
        community=item.community,
        observed_at=item.received_at,
        readings=[ReadingInput(indicator=str(code), value=value) for code, value in item.readings],
        source_reliability=source_reliability,
        information_credibility=information_credibility,
        narrative=item.narrative,
        idempotency_key=f"sms-triage:{item.pk}",
    )
    item.state = TriageState.ACCEPTED
    item.report = report
    item.decided_by = user
    item.decided_at = timezone.now()
    item.save(update_fields=["state", "report", "decided_by", "decided_at"])
    audit_record(
        action=AuditAction.STATE_CHANGE,
        actor=user,
        object_type="sms_triage",
        object_id=item.pk,
        detail=f"pending → accepted as report {report.pk}",
    )
    return report


@transaction.atomic
def triage_discard(*, item: TriageItem, user: User) -> TriageItem:
    """Discard a message: no report is made; audited."""
    item = _triage_lock(item, user)
    item.state = TriageState.DISCARDED
    item.decided_by = user
    item.decided_at = timezone.now()
    item.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(
        action=AuditAction.STATE_CHANGE,
        actor=user,
        object_type="sms_triage",
        object_id=item.pk,
        detail="pending → discarded",
    )
    return item
