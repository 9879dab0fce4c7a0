"""QuickSelect writes what Django's Select writes with its templates."""

from __future__ import annotations

import pytest
from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from ewers.widgets import QuickSelect

CHOICES = [
    ("", _("All your coverage")),
    ("BX", 'Country <X> & "co"'),
    ("BX-1", "· Region 'one'"),
    ("BX-1-1", mark_safe("<b>safe</b>")),
    (7, "Seven"),
]
GROUPED = [("Group <a>", [("a", "A"), ("b", "B")]), ("c", "C")]


@pytest.mark.parametrize("choices", [CHOICES, GROUPED, []])
@pytest.mark.parametrize("value", ["", "BX", "BX-1-1", "7", None, "b", "missing"])
@pytest.mark.parametrize("attrs", [None, {"id": "id_region", "required": True, "disabled": False, "data-x": '"q"'}])
def test_it_writes_what_the_templates_write(choices, value, attrs):
    quick = QuickSelect(choices=choices).render("region", value, attrs)
    slow = forms.Select(choices=choices).render("region", value, attrs)
    assert quick == slow


def test_it_leaves_labels_the_template_would_localise_to_the_template():
    choices = [(1, 1234567), (2, 2.5)]
    assert QuickSelect(choices=choices).render("n", 1) == forms.Select(choices=choices).render("n", 1)
