"""API v1 endpoints of alerts: reading alerts, assignments and notifications, and the
coordinators' and responders' actions on them.

Views stay thin: reads go through ``alerts.selectors`` (which start from ``visible_to``:
404 outside the share), writes through ``alerts.services``. An action first finds the
object among those the user may see (404), then asks whether the user may act on it
(403), then reads the body (400); the service decides the rest (400 for bad input, 409
for a state change the current state does not allow). Every answer is read again
through the selector, so it shows what the user may see.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from alerts.api.serializers import (
    AlertDismissInputSerializer,
    AlertNoteInputSerializer,
    AlertNoteSerializer,
    AlertResolveInputSerializer,
    AlertSerializer,
    AssignmentCompleteInputSerializer,
    AssignmentDeclineInputSerializer,
    AssignmentSerializer,
    HandoffDeclineInputSerializer,
    HandoffInputSerializer,
    HandoffSerializer,
    MarkedSerializer,
    NotificationSerializer,
    NotificationsReadInputSerializer,
    OrganisationInputSerializer,
)
from alerts.filters import AlertFilter, AssignmentFilter, NotificationFilter
from alerts.models import Alert, Assignment, Handoff, Notification
from alerts.permissions import MAY_NOT_WRITE_NOTE, alert_may_write_note
from alerts.selectors import (
    alert_get,
    alert_get_to_manage,
    alert_notes,
    alerts_visible,
    assignment_get,
    assignment_get_to_manage,
    assignment_get_to_work,
    assignments_visible,
    handoff_get,
    handoff_get_to_answer,
    handoffs_visible,
    notifications_for,
)
from alerts.services import (
    alert_assign,
    alert_dismiss,
    alert_note_add,
    alert_require_open,
    alert_resolve,
    alert_verify,
    assignment_acknowledge,
    assignment_complete,
    assignment_decline,
    assignment_hand_off,
    assignment_move,
    assignment_start,
    handoff_accept,
    handoff_decline,
    notification_mark_read,
)
from ewers.api.parsers import LimitedJSONParser
from ewers.api.viewsets import ShareViewSet
from ewers.models import User
from ewers.permissions import permission_require

ALERT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The alert's id.")
ASSIGNMENT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The assignment's id.")

MAY_NOT_MANAGE = OpenApiResponse(description="Only the coordinators covering the community may do this.")
MAY_NOT_WORK = OpenApiResponse(description="Only the assigned organisation's responders may do this.")
ALERT_CLOSED = OpenApiResponse(description="The alert is no longer open (or the change is already made).")
NOT_FROM_STATE = OpenApiResponse(description="The assignment's current state does not allow this step.")


def _holds(user: User, alert: Alert) -> bool:
    return Assignment.objects.held_by(user.organisation_id).filter(alert=alert).exists()


def _valid(serializer: BaseSerializer[Any]) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@extend_schema_view(
    list=extend_schema(summary="Alerts the user may see: open first, then newest."),
    retrieve=extend_schema(summary="One alert with its explanation, timeline and assignments.", parameters=[ALERT_ID]),
)
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ShareViewSet[Alert]):
    """Coordinators: the alerts of their coverage; responders: alerts assigned to their
    organisation; others: none (PRODUCT.md, "Who sees what"). Coordinators covering the
    community verify, resolve, dismiss and add organisations."""

    serializer_class = AlertSerializer
    queryset = Alert.objects.none()  # for the schema; get_queryset applies the share
    filter_backends = [DjangoFilterBackend]
    filterset_class = AlertFilter
    parser_classes = [LimitedJSONParser]

    def share(self, user: User) -> QuerySet[Alert]:
        return alerts_visible(user)

    def share_get(self, user: User, ref: str) -> Alert:
        return alert_get(user, ref)

    def _managed(self) -> Alert:
        alert = alert_get_to_manage(self.user, self.kwargs["pk"])
        alert_require_open(alert)  # 409 before the body is read (the service checks again, locked)
        return alert

    def _answer(self, alert: Alert) -> Response:
        fresh = alert_get(self.user, alert.pk)
        return Response(AlertSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Mark the alert verified: a coordinator has confirmed the situation.",
        request=None,
        parameters=[ALERT_ID],
        responses={200: AlertSerializer, 403: MAY_NOT_MANAGE, 409: ALERT_CLOSED},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def verify(self, request: Request, pk: str) -> Response:
        alert = self._managed()
        return self._answer(alert_verify(alert=alert, user=self.user))

    @extend_schema(
        summary="Resolve the alert with a note and whether an incident followed.",
        request=AlertResolveInputSerializer,
        parameters=[ALERT_ID],
        responses={200: AlertSerializer, 403: MAY_NOT_MANAGE, 409: ALERT_CLOSED},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def resolve(self, request: Request, pk: str) -> Response:
        alert = self._managed()
        data = _valid(AlertResolveInputSerializer(data=request.data))
        return self._answer(alert_resolve(alert=alert, user=self.user, note=data["note"], outcome=data["outcome"]))

    @extend_schema(
        summary="Dismiss the alert as a false alarm; pending assignments are withdrawn.",
        request=AlertDismissInputSerializer,
        parameters=[ALERT_ID],
        responses={200: AlertSerializer, 403: MAY_NOT_MANAGE, 409: ALERT_CLOSED},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def dismiss(self, request: Request, pk: str) -> Response:
        alert = self._managed()
        data = _valid(AlertDismissInputSerializer(data=request.data))
        return self._answer(alert_dismiss(alert=alert, user=self.user, note=data["note"]))

    @extend_schema(
        summary="Add an organisation to the alert; answers its new (or re-opened) assignment.",
        request=OrganisationInputSerializer,
        parameters=[ALERT_ID],
        responses={
            201: AssignmentSerializer,
            403: MAY_NOT_MANAGE,
            400: OpenApiResponse(
                description="Field messages, e.g. an organisation that does not cover the community or "
                "already has the alert."
            ),
            409: ALERT_CLOSED,
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def assign(self, request: Request, pk: str) -> Response:
        alert = self._managed()
        data = _valid(OrganisationInputSerializer(data=request.data))
        assignment = alert_assign(alert=alert, user=self.user, organisation=data["organisation"], note=data["note"])
        fresh = assignment_get(self.user, assignment.pk)
        return Response(AssignmentSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="The notes on the alert addressed to the user, oldest first.",
        parameters=[ALERT_ID],
        responses={200: AlertNoteSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Write a note for an audience: organisation, assigned or coordinators; never editable.",
        request=AlertNoteInputSerializer,
        parameters=[ALERT_ID],
        responses={
            201: AlertNoteSerializer,
            403: OpenApiResponse(description="Only the coordinators and the organisations on the alert write notes."),
            409: ALERT_CLOSED,
        },
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def notes(self, request: Request, pk: str) -> Response:
        alert = alert_get(self.user, pk)
        if request.method == "GET":
            return Response(AlertNoteSerializer(alert_notes(self.user, alert), many=True).data)
        permission_require(alert_may_write_note(self.user, alert, holds=_holds(self.user, alert)), MAY_NOT_WRITE_NOTE)
        alert_require_open(alert)  # 409 before the body is read (the service checks again, locked)
        data = _valid(AlertNoteInputSerializer(data=request.data))
        note = alert_note_add(alert=alert, user=self.user, text=data["text"], audience=data["audience"])
        return Response(AlertNoteSerializer(note).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Assignments the user may see: overdue first, then by deadline."),
    retrieve=extend_schema(summary="One assignment.", parameters=[ASSIGNMENT_ID]),
)
class AssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ShareViewSet[Assignment]):
    """Responders: their organisation's assignments; coordinators: those of their coverage.
    The assigned organisation's responders acknowledge, start, complete or decline;
    coordinators move an assignment to another organisation."""

    serializer_class = AssignmentSerializer
    queryset = Assignment.objects.none()  # for the schema; get_queryset applies the share
    filter_backends = [DjangoFilterBackend]
    filterset_class = AssignmentFilter
    parser_classes = [LimitedJSONParser]

    def share(self, user: User) -> QuerySet[Assignment]:
        return assignments_visible(user)

    def share_get(self, user: User, ref: str) -> Assignment:
        return assignment_get(user, ref)

    def _worked(self) -> Assignment:
        return assignment_get_to_work(self.user, self.kwargs["pk"])

    def _answer(self, assignment: Assignment, code: int = status.HTTP_200_OK) -> Response:
        fresh = assignment_get(self.user, assignment.pk)
        return Response(AssignmentSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        summary="Acknowledge the assignment: the organisation has seen it (pending → acknowledged).",
        request=None,
        parameters=[ASSIGNMENT_ID],
        responses={200: AssignmentSerializer, 403: MAY_NOT_WORK, 409: NOT_FROM_STATE},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def acknowledge(self, request: Request, pk: str) -> Response:
        assignment = self._worked()
        return self._answer(assignment_acknowledge(assignment=assignment, user=self.user))

    @extend_schema(
        summary="Start work on the assignment (acknowledged → in progress).",
        request=None,
        parameters=[ASSIGNMENT_ID],
        responses={200: AssignmentSerializer, 403: MAY_NOT_WORK, 409: NOT_FROM_STATE},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def start(self, request: Request, pk: str) -> Response:
        assignment = self._worked()
        return self._answer(assignment_start(assignment=assignment, user=self.user))

    @extend_schema(
        summary="Complete the assignment with its outcome (in progress → completed).",
        request=AssignmentCompleteInputSerializer,
        parameters=[ASSIGNMENT_ID],
        responses={200: AssignmentSerializer, 403: MAY_NOT_WORK, 409: NOT_FROM_STATE},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request: Request, pk: str) -> Response:
        assignment = self._worked()
        data = _valid(AssignmentCompleteInputSerializer(data=request.data))
        return self._answer(assignment_complete(assignment=assignment, user=self.user, outcome=data["outcome"]))

    @extend_schema(
        summary="Decline the assignment with a reason; it goes back to the coordinators.",
        request=AssignmentDeclineInputSerializer,
        parameters=[ASSIGNMENT_ID],
        responses={200: AssignmentSerializer, 403: MAY_NOT_WORK, 409: NOT_FROM_STATE},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def decline(self, request: Request, pk: str) -> Response:
        assignment = self._worked()
        data = _valid(AssignmentDeclineInputSerializer(data=request.data))
        return self._answer(assignment_decline(assignment=assignment, user=self.user, reason=data["reason"]))

    @extend_schema(
        summary="Move the assignment to another organisation; answers the new assignment.",
        request=OrganisationInputSerializer,
        parameters=[ASSIGNMENT_ID],
        responses={
            201: AssignmentSerializer,
            403: MAY_NOT_MANAGE,
            400: OpenApiResponse(description="Field messages, e.g. an organisation that may not take the alert."),
            409: OpenApiResponse(description="The assignment is finished or already moved, or the alert is closed."),
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def move(self, request: Request, pk: str) -> Response:
        assignment = assignment_get_to_manage(self.user, pk)
        data = _valid(OrganisationInputSerializer(data=request.data))
        moved = assignment_move(
            assignment=assignment, user=self.user, organisation=data["organisation"], note=data["note"]
        )
        return self._answer(moved, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Propose to hand the assignment's follow-up to another organisation; it must accept.",
        request=HandoffInputSerializer,
        parameters=[ASSIGNMENT_ID],
        responses={
            201: HandoffSerializer,
            403: MAY_NOT_WORK,
            400: OpenApiResponse(description="Field messages, e.g. an organisation that cannot take the alert."),
            409: OpenApiResponse(description="Not work taken on, a proposal already waiting, or the alert is closed."),
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def handoff(self, request: Request, pk: str) -> Response:
        assignment = self._worked()
        data = _valid(HandoffInputSerializer(data=request.data))
        handoff = assignment_hand_off(
            assignment=assignment, user=self.user, organisation=data["organisation"], note=data["note"]
        )
        return Response(HandoffSerializer(handoff_get(self.user, handoff.pk)).data, status=status.HTTP_201_CREATED)


HANDOFF_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The handover's id.")
MAY_NOT_ANSWER = OpenApiResponse(description="Only the responders of the organisation it is proposed to may answer.")
ALREADY_ANSWERED = OpenApiResponse(description="Already answered, or lapsed (the alert closed, the work ended).")


@extend_schema_view(
    list=extend_schema(summary="Handovers proposed by or to the user's organisation (coordinators: their coverage)."),
    retrieve=extend_schema(summary="One handover.", parameters=[HANDOFF_ID]),
)
class HandoffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ShareViewSet[Handoff]):
    """Handovers: the proposed organisation's responders accept (it gets the assignment) or
    decline; the proposer and the coordinators see both."""

    serializer_class = HandoffSerializer
    queryset = Handoff.objects.none()  # for the schema; get_queryset applies the share
    parser_classes = [LimitedJSONParser]

    def share(self, user: User) -> QuerySet[Handoff]:
        return handoffs_visible(user)

    def share_get(self, user: User, ref: str) -> Handoff:
        return handoff_get(user, ref)

    @extend_schema(
        summary="Accept: the organisation takes the follow-up over (answers its new assignment).",
        request=None,
        parameters=[HANDOFF_ID],
        responses={200: AssignmentSerializer, 403: MAY_NOT_ANSWER, 409: ALREADY_ANSWERED},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request: Request, pk: str) -> Response:
        handoff = handoff_get_to_answer(self.user, pk)
        assignment = handoff_accept(handoff=handoff, user=self.user)
        return Response(AssignmentSerializer(assignment_get(self.user, assignment.pk)).data)

    @extend_schema(
        summary="Decline: the proposing organisation keeps the assignment.",
        request=HandoffDeclineInputSerializer,
        parameters=[HANDOFF_ID],
        responses={200: HandoffSerializer, 403: MAY_NOT_ANSWER, 409: ALREADY_ANSWERED},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def decline(self, request: Request, pk: str) -> Response:
        handoff = handoff_get_to_answer(self.user, pk)
        data = _valid(HandoffDeclineInputSerializer(data=request.data))
        handoff_decline(handoff=handoff, user=self.user, note=data.get("note", ""))
        return Response(HandoffSerializer(handoff_get(self.user, pk)).data)


@extend_schema_view(list=extend_schema(summary="The user's own notifications, newest first."))
class NotificationViewSet(mixins.ListModelMixin, ShareViewSet[Notification]):
    """Each user sees only their own notifications: assignments, escalations, overdue work."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema; get_queryset applies the owner
    filter_backends = [DjangoFilterBackend]
    filterset_class = NotificationFilter
    parser_classes = [LimitedJSONParser]

    def share(self, user: User) -> QuerySet[Notification]:
        return notifications_for(user).order_by("-created_at", "-id")

    @extend_schema(
        summary="Mark notifications read: those named by id, or all of the user's.",
        description="Ids of other users' notifications, or unknown ones, are ignored.",
        request=NotificationsReadInputSerializer,
        responses={200: MarkedSerializer},
    )
    @action(detail=False, methods=["post"], url_path="read", filter_backends=[], pagination_class=None)
    def mark_read(self, request: Request) -> Response:
        data = _valid(NotificationsReadInputSerializer(data=request.data))
        marked = notification_mark_read(user=self.user, notification_ids=data.get("ids"))
        return Response({"marked": marked})
