from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from imagestreams.api.views.base import UnknownEndpointApi
from imagestreams.hooks.registry_notifications import registry_notifications
from imagestreams.operations.views import healthz, metrics
from imagestreams.registry_auth.views import registry_token
from imagestreams.web.views.assets import favicon
from imagestreams.web.views.signin import limit_failed_sign_ins

# A database that does not answer is a 503 also when a middleware meets it.
handler500 = "imagestreams.unavailable.server_error"

urlpatterns = [
    # Before the admin's own routes, so that its sign-in is rate-limited too.
    path("admin/login/", limit_failed_sign_ins(admin.site.login)),
    path("admin/", admin.site.urls),
    # For load balancers and Prometheus; above the team pages' catch-all.
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("metrics", metrics, name="metrics"),
    path("registry/token", registry_token, name="registry-token"),
    path("api/v1/", include("imagestreams.api.urls")),
    path("api/v1/", include("triggers.urls")),
    # [\s\S], not ".": a path with an encoded newline is still under /api/v1/.
    re_path(r"^api/v1/[\s\S]*$", UnknownEndpointApi.as_view(), name="api-unknown"),
    re_path(r"^hooks/registry/?$", registry_notifications, name="registry-notifications"),
    # Push webhooks of external registries (Docker Hub, Quay, Harbor, generic).
    path("hooks/", include("imagestreams.hooks.urls")),
    path("login/", limit_failed_sign_ins(auth_views.LoginView.as_view()), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The trigger pages, before the team pages they belong to.
    path("p/<str:project_name>/triggers/", include("triggers.web.urls")),
    path("", include("imagestreams.web.urls")),
]
