from __future__ import annotations

from django.urls import path

from imagestreams.hooks.views import registry_push

app_name = "hooks"

urlpatterns = [
    path("generic", registry_push, {"kind": "generic"}, name="generic"),
    path("dockerhub/<str:token>", registry_push, {"kind": "dockerhub"}, name="dockerhub"),
    path("quay/<str:token>", registry_push, {"kind": "quay"}, name="quay"),
    path("harbor/<str:token>", registry_push, {"kind": "harbor"}, name="harbor"),
]
