"""One paging style for every JSON list of the API.

`?page=N` (from 1) and `?page_size=M` (default `PAGE_SIZE` in settings, at most `MAX_PAGE_SIZE`);
the body is `{"count", "next", "previous", "results"}`, `next`/`previous` being full URLs or null.
A page that does not exist is 404 `not_found`. CSV downloads are never paged.
"""

from collections.abc import Callable, Sequence
from typing import Any, cast

from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

MAX_PAGE_SIZE = 200


class PagePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class PaginatedListView(APIView):
    """A view whose GET returns a list, a page at a time. drf-spectacular reads `pagination_class` to
    document the paged body and the `page`/`page_size` parameters of a GET documented with `many=True`."""

    pagination_class = PagePagination

    def paginated_response(
        self,
        request: Request,
        rows: QuerySet[Any] | Sequence[Any],
        serializer_class: type[BaseSerializer[Any]],
        context: dict[str, Any] | None = None,
        page_context: Callable[[list[Any]], dict[str, Any]] | None = None,
    ) -> Response:
        """One page of `rows`; `page_context(page)` adds what the serializer needs of that page's rows only."""
        paginator = self.pagination_class()
        # Django's Paginator takes any sequence (a selector may return a list); the stubs say QuerySet.
        page = list(paginator.paginate_queryset(cast(QuerySet[Any], rows), request, view=self) or [])
        context = {**(context or {}), **(page_context(page) if page_context is not None else {})}
        return paginator.get_paginated_response(serializer_class(page, many=True, context=context).data)
