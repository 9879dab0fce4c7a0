"""Pagination of every API list: ``?page=`` and ``?page_size=`` up to 100 (API.md).

A larger ``page_size`` gets 100: a list is read (and its protected fields audited) in
bounded pages.
"""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 100


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
