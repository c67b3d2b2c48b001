from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from imagestreams.registry_auth.views import registry_token
from triggers.notifications import registry_notifications

urlpatterns = [
    path("admin/", admin.site.urls),
    path("registry/token", registry_token, name="registry-token"),
    # Before the core API: its last route is a catch-all JSON 404.
    path("api/v1/", include("triggers.urls")),
    path("api/v1/", include("imagestreams.api.urls")),
    re_path(r"^hooks/registry/?$", registry_notifications, name="registry-notifications"),
    # Push webhooks of external registries (Docker Hub, Quay, Harbor, generic).
    path("hooks/", include("imagestreams.hooks.urls")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("imagestreams.web.urls")),
]
