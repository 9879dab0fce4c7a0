"""Monitors' registered phone numbers in the admin: typed once when registered, then only
ever shown masked (the number itself is not kept); removed, never edited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ewers.models import User
from intake.models import SenderNumber
from intake.services import sender_number_register, sender_number_remove, sender_number_validate


class SenderNumberForm(forms.ModelForm[SenderNumber]):
    number = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        help_text=_("In international form, + and the country code first. It is kept only as a keyed hash and a mask."),
        # Never sent back to the browser, not even after an error.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = SenderNumber
        fields = ["user", "language"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "user" in self.fields:  # not on a registered number's page, where nothing changes
            self.fields["user"].queryset = User.objects.filter(  # type: ignore[attr-defined]
                is_active=True, role__in=["analyst", "coordinator"]
            ).order_by("username")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("user") is not None and cleaned.get("number"):
            sender_number_validate(user=cleaned["user"], number=cleaned["number"])
        return cleaned


@admin.register(SenderNumber)
class SenderNumberAdmin(admin.ModelAdmin[SenderNumber]):
    """Registered through ``intake.services.sender_number_register`` (audited)."""

    form = SenderNumberForm
    list_display = ["masked", "user", "language", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__username"]

    def get_readonly_fields(self, request: HttpRequest, obj: SenderNumber | None = None) -> list[str]:
        return [] if obj is None else ["masked", "user", "language", "created_at"]

    def get_fields(self, request: HttpRequest, obj: SenderNumber | None = None) -> Sequence[str]:  # type: ignore[override]
        return ["user", "number", "language"] if obj is None else ["masked", "user", "language", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: SenderNumber, form: Any, change: bool) -> None:
        actor = request.user if isinstance(request.user, User) else None
        saved = sender_number_register(
            user=form.cleaned_data["user"],
            number=form.cleaned_data["number"],
            language=form.cleaned_data["language"],
            actor=actor,
        )
        obj.pk = saved.pk
        obj.digest, obj.masked, obj.created_at = saved.digest, saved.masked, saved.created_at

    def delete_model(self, request: HttpRequest, obj: SenderNumber) -> None:
        actor = request.user if isinstance(request.user, User) else None
        sender_number_remove(row=obj, actor=actor)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SenderNumber]) -> None:
        actor = request.user if isinstance(request.user, User) else None
        for row in queryset.select_related("user"):
            sender_number_remove(row=row, actor=actor)
