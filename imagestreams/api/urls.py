"""Routes of /api/v1/ (docs/api.md). Paths have no trailing slash, like
Kubernetes' API; anything else under /api/v1/ is a JSON 404 (imagestreams.urls)."""

from __future__ import annotations

from django.urls import path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from imagestreams.api.views import (
    accounts,
    imports,
    isimages,
    istags,
    policies,
    projects,
    resolve,
    streams,
    tagging,
    teams,
)


class ProjectNameConverter:
    """Any one path segment: a name that no project (or stream, or service
    account) can have gets the view's `project "Team-B" not found`, as `oc`
    says, rather than a 404 about the path."""

    regex = r"[^/]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class StreamNameConverter(ProjectNameConverter):
    pass


class ObjectNameConverter(ProjectNameConverter):
    """`stream:tag` or `stream@digest`: parsed by the view, so that a malformed
    name gets a 400 saying what is wrong with it."""


register_converter(ProjectNameConverter, "project")
register_converter(StreamNameConverter, "stream")
register_converter(ObjectNameConverter, "object")

P = "projects/<project:project>"
SA = f"{P}/serviceaccounts/<project:name>"

urlpatterns = [
    # First: pipelines poll it, and Django tries the routes in order.
    path(
        "resolve/<project:project>/<object:istag>",
        resolve.ResolveApi.as_view(),
        name="api-resolve",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline scripts.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("whoami", accounts.WhoAmIApi.as_view(), name="api-whoami"),
    path("tokens", accounts.TokenListCreateApi.as_view(), name="api-tokens"),
    path("tokens/<int:token_id>", accounts.TokenRevokeApi.as_view(), name="api-token"),
    path("projects", projects.ProjectListCreateApi.as_view(), name="api-projects"),
    path(P, projects.ProjectDetailApi.as_view(), name="api-project"),
    path(f"{P}/imagestreams", streams.StreamListCreateApi.as_view(), name="api-streams"),
    path(f"{P}/imagestreams/<stream:name>", streams.StreamDetailApi.as_view(), name="api-stream"),
    path(f"{P}/imagestreamtags", istags.IstagListApi.as_view(), name="api-istags"),
    path(f"{P}/imagestreamtags/<object:istag>", istags.IstagDetailApi.as_view(), name="api-istag"),
    path(
        f"{P}/imagestreamtags/<object:istag>/history",
        istags.IstagHistoryApi.as_view(),
        name="api-istag-history",
    ),
    path(
        f"{P}/imagestreamtags/<object:istag>/rollback",
        istags.IstagRollbackApi.as_view(),
        name="api-istag-rollback",
    ),
    path(
        f"{P}/imagestreamtags/<object:istag>/unpin",
        istags.IstagUnpinApi.as_view(),
        name="api-istag-unpin",
    ),
    path(
        f"{P}/imagestreamtags/<object:istag>/policy",
        policies.IstagPolicyApi.as_view(),
        name="api-istag-policy",
    ),
    path(
        f"{P}/imagestreamimages/<object:isimage>",
        isimages.IsimageDetailApi.as_view(),
        name="api-isimage",
    ),
    path(f"{P}/tag", tagging.TagApi.as_view(), name="api-tag"),
    path(f"{P}/untag", tagging.UntagApi.as_view(), name="api-untag"),
    path(f"{P}/imports", imports.ImportApi.as_view(), name="api-imports"),
    # Teams (docs/api.md "Teams"); service account names follow project names' rules.
    path("sharedimagestreams", teams.SharedWithMeApi.as_view(), name="api-shared-with-me"),
    path(f"{P}/sharedimagestreams", teams.SharedStreamListApi.as_view(), name="api-shared-streams"),
    path(f"{P}/members", teams.MemberListApi.as_view(), name="api-members"),
    path(f"{P}/members/<str:username>", teams.MemberDetailApi.as_view(), name="api-member"),
    path(
        f"{P}/serviceaccounts",
        teams.ServiceAccountListCreateApi.as_view(),
        name="api-serviceaccounts",
    ),
    path(SA, teams.ServiceAccountDetailApi.as_view(), name="api-serviceaccount"),
    path(
        f"{SA}/tokens",
        teams.ServiceAccountTokenListCreateApi.as_view(),
        name="api-serviceaccount-tokens",
    ),
    path(
        f"{SA}/tokens/<int:token_id>",
        teams.ServiceAccountTokenRevokeApi.as_view(),
        name="api-serviceaccount-token",
    ),
    path(f"{P}/shares", teams.ShareListCreateApi.as_view(), name="api-shares"),
    path(f"{P}/shares/<int:share_id>", teams.ShareRevokeApi.as_view(), name="api-share"),
    path(f"{P}/audit", teams.AuditListApi.as_view(), name="api-audit"),
    path(f"{P}/audit/export", teams.AuditExportApi.as_view(), name="api-audit-export"),
]
