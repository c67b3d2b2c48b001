"""The OpenAPI schema validates, describes every endpoint, and the docs page
needs nothing from a CDN."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

CORE_OPERATIONS = {
    "whoami",
    "tokens_list",
    "tokens_create",
    "tokens_revoke",
    "projects_list",
    "projects_create",
    "projects_get",
    "imagestreams_list",
    "imagestreams_create",
    "imagestreams_get",
    "imagestreams_update",
    "imagestreams_delete",
    "imagestreamtags_list",
    "imagestreamtags_get",
    "imagestreamtags_delete",
    "imagestreamtags_history",
    "imagestreamtags_rollback",
    "imagestreamimages_get",
    "tag",
    "untag",
    "imports_create",
    "resolve",
}


def test_the_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    # --fail-on-warn turns every generator warning (an unannotated view, a
    # duplicate component name) into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")


def test_the_schema_is_served_to_anyone_and_lists_every_operation(db):
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert operations >= CORE_OPERATIONS
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    listed = schema["paths"]["/api/v1/projects/{project}/imagestreams"]["get"]
    ok = listed["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ok.endswith("/PaginatedImageStreamList")
    errors = listed["responses"]["404"]["content"]["application/json"]["schema"]["$ref"]
    assert errors.endswith("/Error")
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {
        "detail",
        "code",
        "field",
    }


def test_the_docs_page_uses_local_assets(db):
    response = APIClient().get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
