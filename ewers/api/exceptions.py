"""The API's error contract (API.md): bad input is a 4xx with a message, never a 500.

DRF already answers 400 for ParseError and validation errors, 401, 403, 404 and 415.
This handler adds what Django raises underneath DRF: a body over the size limit (413),
other suspicious requests (400), the domain's ``ValidationError`` from services (400
with field messages), ``PermissionDenied`` with the service's own message (403), and a
state change the current state does not allow (``ewers.exceptions.StateConflict``, 409),
and an ``Idempotency-Key`` sent again with another body (422).

A database that cannot be reached is not answered here: DRF raises it on to
``ewers.middleware``, which answers 503 with Retry-After for the API and pages alike.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from ewers.exceptions import IdempotencyKeyReused, StateConflict


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


class IdempotencyKeyReusedError(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was used for a different request.")
    default_code = "idempotency_key_reused"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This is not allowed from the current state.")
    default_code = "conflict"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        # Too many fields or files, a malformed multipart body: the client's fault.
        exc = exceptions.ParseError(_("The request could not be read."))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, IdempotencyKeyReused):
        exc = IdempotencyKeyReusedError(str(exc) or None)
    elif isinstance(exc, StateConflict):
        exc = Conflict(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied) and str(exc):
        # DRF would answer its generic message; the service's says what is not allowed.
        exc = exceptions.PermissionDenied(str(exc))
    return exception_handler(exc, context)
