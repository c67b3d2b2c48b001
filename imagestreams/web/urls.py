"""URLs of the team pages. Every page is a real URL (works without
JavaScript); htmx requests to the same URLs get partials."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from imagestreams.web.views import (
    account,
    credentials,
    images,
    projects,
    stream_actions,
    streams,
    tag_actions,
    tags,
)

app_name = "web"

tag_urls: list[URLPattern | URLResolver] = [
    path("", tags.tag_detail, name="tag"),
    path("row", streams.tag_row, name="tag-row"),
    path("import", tag_actions.tag_import_now, name="tag-import"),
    path("scheduled", tag_actions.tag_scheduled, name="tag-scheduled"),
    path("reference-policy", tag_actions.tag_reference_policy, name="tag-reference-policy"),
    path("follow", tag_actions.tag_follow_upstream_view, name="tag-follow-upstream"),
    path("delete", tag_actions.tag_delete_view, name="tag-delete"),
    path("rollback", tags.tag_rollback_view, name="tag-rollback"),
]

stream_urls: list[URLPattern | URLResolver] = [
    path("", streams.stream_detail, name="stream"),
    path("tags/new", streams.tag_add, name="tag-add"),
    path("import", stream_actions.stream_import_all, name="stream-import-all"),
    path("delete", stream_actions.stream_delete_view, name="stream-delete"),
    path("tags/<str:tag_name>/", include(tag_urls)),
    path("images/<str:digest>/", images.image_detail, name="image"),
]

project_urls: list[URLPattern | URLResolver] = [
    path("", projects.project_detail, name="project"),
    path("streams/new", projects.stream_create_view, name="stream-create"),
    path("import", projects.import_image_view, name="import-image"),
    path("credentials/", credentials.credentials, name="credentials"),
    path("is/<str:stream_name>/", include(stream_urls)),
    path("", include("imagestreams.web.team_urls")),
]

urlpatterns = [
    path("", projects.project_list, name="projects"),
    path("account/tokens/", account.tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke", account.token_revoke_view, name="token-revoke"),
    path("p/<str:project_name>/", include(project_urls)),
]
