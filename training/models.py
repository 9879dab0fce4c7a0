"""Training on vignettes: the situations coordinators describe with the expert's readings,
and the analysts' attempts at them (docs/learning.md, "Training and calibration").

A training attempt and its readings live in tables of their own, never as a FieldReport:
nothing that scores, alerts, exports or maps reports ever reads them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ewers.choices import Role
from ewers.models import Organisation, Theme, User
from indicators.choices import InformationCredibility, SourceReliability
from indicators.models import Indicator


class VignetteQuerySet(models.QuerySet["Vignette"]):
    def visible_to(self, user: User) -> VignetteQuerySet:
        """Vignettes are invented situations, a library shared by the deployment: analysts
        see the active ones (to practise), coordinators those and every vignette of their
        own organisation (to write and edit), administrators all (the admin site).
        Responders none."""
        if not user.is_active:
            return self.none()
        if user.is_administrator and user.role != Role.COORDINATOR:
            return self.all()
        if user.role == Role.COORDINATOR and user.organisation_id is not None:
            return self.filter(Q(is_active=True) | Q(organisation=user.organisation_id))
        if user.role == Role.ANALYST:
            return self.filter(is_active=True)
        return self.none()


class Vignette(models.Model):
    """A described situation and the readings an expert would record from it."""

    title = models.CharField(_("title"), max_length=200)
    situation = models.TextField(
        _("situation"), help_text=_("What the analyst is told: the scene, as a monitor would see it.")
    )
    community_type = models.CharField(
        _("community type"), max_length=200, blank=True, help_text=_("Optional, e.g. “market town” or “rural village”.")
    )
    theme = models.ForeignKey(
        Theme, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("theme")
    )
    is_active = models.BooleanField(_("offered for practice"), default=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("written by organisation")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("written by")
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed at"), default=timezone.now)

    objects = VignetteQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("vignette")
        verbose_name_plural = _("vignettes")
        constraints = [
            models.CheckConstraint(name="vignette_has_title", condition=~Q(title="")),
            models.CheckConstraint(name="vignette_has_situation", condition=~Q(situation="")),
        ]

    def __str__(self) -> str:
        return self.title


class VignetteReading(models.Model):
    """The expert's reading of one indicator in a vignette: what a careful analyst records."""

    vignette = models.ForeignKey(Vignette, on_delete=models.CASCADE, related_name="readings")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("indicator"))
    value = models.FloatField(_("expected value"))

    class Meta:
        ordering = ["indicator__code"]
        verbose_name = _("expert reading")
        verbose_name_plural = _("expert readings")
        constraints = [models.UniqueConstraint(fields=["vignette", "indicator"], name="vignette_reading_once")]

    def __str__(self) -> str:
        return f"{self.indicator_id}={self.value:g}"


class TrainingAttemptQuerySet(models.QuerySet["TrainingAttempt"]):
    def visible_to(self, user: User) -> TrainingAttemptQuerySet:
        """An analyst sees their own attempts; a coordinator those of the analysts of their
        own organisation (the organisation at the time of the attempt); nobody else any:
        an attempt says how well a person reads, which is their organisation's business."""
        if not user.is_active:
            return self.none()
        if user.role == Role.ANALYST and not user.is_superuser:
            return self.filter(analyst=user.pk)
        if user.role == Role.COORDINATOR and user.organisation_id is not None:
            return self.filter(organisation=user.organisation_id)
        return self.none()


class TrainingAttempt(models.Model):
    """An analyst's reading of a vignette in the training form; never a field report."""

    vignette = models.ForeignKey(Vignette, on_delete=models.PROTECT, related_name="attempts")
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("analyst")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)
    source_reliability = models.CharField(_("source reliability"), max_length=1, choices=SourceReliability.choices)
    information_credibility = models.PositiveSmallIntegerField(
        _("information credibility"), choices=InformationCredibility.choices
    )

    objects = TrainingAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("training attempt")
        verbose_name_plural = _("training attempts")
        indexes = [models.Index(fields=["organisation", "submitted_at"])]
        constraints = [
            models.CheckConstraint(
                name="training_attempt_grading_valid",
                condition=Q(source_reliability__in=SourceReliability.values)
                & Q(information_credibility__in=InformationCredibility.values),
            ),
        ]

    def __str__(self) -> str:
        return f"Training attempt #{self.pk} on vignette {self.vignette_id}"


class TrainingReading(models.Model):
    """One indicator's value in a training attempt."""

    attempt = models.ForeignKey(TrainingAttempt, on_delete=models.CASCADE, related_name="readings")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("indicator"))
    value = models.FloatField(_("value"))

    class Meta:
        ordering = ["indicator__code"]
        verbose_name = _("training reading")
        verbose_name_plural = _("training readings")
        constraints = [models.UniqueConstraint(fields=["attempt", "indicator"], name="training_reading_once")]

    def __str__(self) -> str:
        return f"{self.indicator_id}={self.value:g}"
