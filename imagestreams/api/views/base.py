"""What every API view shares."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from imagestreams.access import Principal, acting
from imagestreams.api.pagination import Pagination
from imagestreams.services.errors import NotFound

# Any client may send any User-Agent: an API call that names isctl is
# recorded as what it surely is, with the client's claim beside it.
ISCTL_CLAIMED = "api (isctl)"


def principal_of(request: Request) -> Principal:
    """Who acts in an API request (DRF has authenticated the token by now)."""
    agent = request.headers.get("User-Agent", "")
    return acting(request.user, ISCTL_CLAIMED if agent.startswith("isctl") else "api")


def paginated(view: APIView, queryset, serializer_class) -> Response:
    """One page of `queryset`; the view declares `pagination_class` so that
    the schema shows the paginated shape."""
    pagination_class = getattr(view, "pagination_class", None) or Pagination
    paginator = pagination_class()
    page: list | None = paginator.paginate_queryset(queryset, view.request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


@extend_schema(exclude=True)
class UnknownEndpointApi(APIView):
    """A JSON 404 for paths under /api/v1/ that name no endpoint."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def _not_found(self, request: Request, *args, **kwargs) -> Response:
        raise NotFound(
            f"no API endpoint at {request.path} (paths have no trailing slash; see /api/v1/docs/)"
        )

    get = post = put = patch = delete = _not_found
