"""The product's URLs plus two trivial JSON views, the yardsticks of the API
benchmark: what the same gunicorn serves when the view does nothing."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def trivial(request: HttpRequest) -> JsonResponse:
    """Plain Django: the middleware stack and a JSON body, no auth, no query."""
    return JsonResponse({"ok": True})


class TrivialApi(APIView):
    """DRF with the API's bearer-token authentication, and nothing else."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True, "user": request.user.get_username()})


urlpatterns = [
    path("bench/trivial", trivial, name="bench-trivial"),
    path("bench/trivial-api", TrivialApi.as_view(), name="bench-trivial-api"),
    path("", include("imagestreams.urls")),
]
