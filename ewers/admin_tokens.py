"""Tokens in the admin: users' API tokens (listed, revocable) and gateways' named tokens
(issued, shown once, listed with their last use, revoked)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from ewers.models import ApiToken, GatewayToken, User
from ewers.services import gateway_token_issue, gateway_token_sign, gateway_tokens_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Users' API tokens: who holds one and until when; deleting one signs that client out.
    The key itself is never stored, so it is never shown."""

    list_display = ["token_key", "user", "created", "expiry"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    readonly_fields = ["token_key", "user", "created", "expiry"]
    exclude = ["digest", "password_fingerprint"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens come from signing in (POST /api/v1/auth/token/)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class GatewayTokenForm(forms.ModelForm[GatewayToken]):
    signed = forms.BooleanField(
        label=_("Signs its requests"),
        required=False,
        help_text=_("Give it a signing secret too (shown once): each request must then carry an HMAC signature."),
    )

    class Meta:
        model = GatewayToken
        fields = ["name", "user"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A gateway files reports: it acts for an active account of a role that logs them.
        if "user" in self.fields:  # not on an issued token's page, where nothing changes
            self.fields["user"].queryset = User.objects.filter(  # type: ignore[attr-defined]
                is_active=True, role__in=["analyst", "coordinator"]
            ).order_by("username")


@admin.register(GatewayToken)
class GatewayTokenAdmin(admin.ModelAdmin[GatewayToken]):
    """Named tokens for gateways. Issuing one shows its key once, on the page that
    follows; only a digest is kept. A token is never deleted, only revoked, so the list
    keeps every token with its last use."""

    form = GatewayTokenForm
    list_display = ["name", "prefix", "user", "signs", "created_at", "created_by", "last_used_at", "revoked_at"]
    list_select_related = ["user", "created_by"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "user__username"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: GatewayToken | None = None) -> list[str]:
        if obj is None:
            return []
        return ["name", "user", "prefix", "signs", "created_at", "created_by", "last_used_at", "revoked_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("signs its requests"), boolean=True)
    def signs(self, obj: GatewayToken) -> bool:
        return obj.signs

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None) -> Any:
        if request.method != "POST" or not self.has_add_permission(request):
            return super().add_view(request, form_url, extra_context)
        form = GatewayTokenForm(request.POST)
        if not form.is_valid():
            return super().add_view(request, form_url, extra_context)
        actor = request.user if isinstance(request.user, User) else None
        token, key = gateway_token_issue(name=form.cleaned_data["name"], user=form.cleaned_data["user"], actor=actor)
        secret = gateway_token_sign(token=token, actor=actor) if form.cleaned_data.get("signed") else None
        self.log_addition(request, token, [{"added": {}}])
        # Shown here, once, in the answer to the POST (never stored, never in a message
        # cookie or a redirect): the page is not cached (ewers.middleware.NoStoreMiddleware).
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": token,
            "key": key,
            "signing_secret": secret,
            "title": _("Gateway token issued"),
        }
        return TemplateResponse(request, "admin/ewers/gatewaytoken/issued.html", context)

    @admin.action(description=_("Revoke the selected gateway tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[GatewayToken]) -> HttpResponse | None:
        actor = request.user if isinstance(request.user, User) else None
        count = gateway_tokens_revoke(tokens=list(queryset), actor=actor)
        self.message_user(request, _("%(count)d gateway tokens revoked.") % {"count": count}, messages.SUCCESS)
        return None
