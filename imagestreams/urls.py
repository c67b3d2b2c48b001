from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from imagestreams.registry_auth.views import registry_token

urlpatterns = [
    path("admin/", admin.site.urls),
    path("registry/token", registry_token, name="registry-token"),
    # Until the team pages exist, the admin is the way in.
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
