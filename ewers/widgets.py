"""Form widgets of our own."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict[str, Any]) -> str:
    """What ``django/forms/widgets/attrs.html`` writes."""
    return "".join(
        f" {conditional_escape(name)}" + ("" if value is True else f'="{conditional_escape(str(value))}"')
        for name, value in attrs.items()
        if value is not False
    )


class QuickSelect(forms.Select):
    """A ``Select`` that writes its options itself, exactly as Django's templates do
    (``select.html``, ``select_option.html``, ``attrs.html``; tests/ewers/test_widgets.py
    compares them), instead of rendering two templates per option: a region filter lists
    hundreds of places on every page that shows it."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        options = [option for _group, choices, _index in widget["optgroups"] for option in choices]
        if not all(isinstance(option["label"], str | Promise) for option in options):
            return super().render(name, value, attrs, renderer)  # a label the template would localise
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group, choices, _index in widget["optgroups"]:
            if group:
                parts.append(f'\n  <optgroup label="{conditional_escape(group)}">')
            for option in choices:
                parts.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                    f"{conditional_escape(option['label'])}</option>\n"
                )
            if group:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        # The template renderer strips what it writes, as here.
        return mark_safe("".join(parts).strip())  # noqa: S308 - every value escaped above
