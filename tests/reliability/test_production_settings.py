"""Production settings: `manage.py check --deploy` is clean with nothing but
DEBUG=0, SECRET_KEY and ALLOWED_HOSTS set; responses carry the security
headers; plain HTTP is redirected except for callers inside the deployment."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "IMAGESTREAMS_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="imagestreams.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="images.example.com",
        DATA_DIR=str(tmp_path / "var"),
        **extra,
    )
    return env


def manage(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_notices_a_weakened_setting(tmp_path):
    """The check above can fail: turning HSTS off is reported."""
    env = production_env(tmp_path, SECURE_HSTS_SECONDS="0")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_production_defaults(tmp_path):
    names = [
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
        "IMPORT_ALLOW_PRIVATE_ADDRESSES",
        "TRIGGER_ALLOW_PRIVATE_ADDRESSES",
    ]
    code = (
        "from django.conf import settings; import json; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    env = production_env(tmp_path, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    result = manage(env, "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "IMPORT_ALLOW_PRIVATE_ADDRESSES": False,
        "TRIGGER_ALLOW_PRIVATE_ADDRESSES": False,
    }


def _outbound_switches(env: dict[str, str]) -> dict[str, bool]:
    names = ["IMPORT_ALLOW_PRIVATE_ADDRESSES", "TRIGGER_ALLOW_PRIVATE_ADDRESSES"]
    code = (
        "from django.conf import settings; import json; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = manage(env, "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_in_development_imports_and_trigger_webhooks_may_reach_this_machine(tmp_path):
    """DEBUG=1 (trying things out on one machine): a registry and a webhook
    receiver on loopback both work; the environment can still refuse either."""
    development = production_env(tmp_path) | {"DEBUG": "1"}
    assert _outbound_switches(development) == {
        "IMPORT_ALLOW_PRIVATE_ADDRESSES": True,
        "TRIGGER_ALLOW_PRIVATE_ADDRESSES": True,
    }
    development["IMAGESTREAMS_TRIGGER_ALLOW_PRIVATE_ADDRESSES"] = "0"
    assert _outbound_switches(development)["TRIGGER_ALLOW_PRIVATE_ADDRESSES"] is False


@pytest.mark.django_db
def test_responses_carry_the_security_headers(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/login/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    api = client.get("/api/v1/schema/", secure=True)
    assert "frame-ancestors 'none'" in api["Content-Security-Policy"]


@pytest.mark.django_db
def test_plain_http_is_redirected_except_for_the_registry_notifications(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/login/")
    assert (response.status_code, response["Location"]) == (301, "https://testserver/login/")
    # The integrated registry posts its notifications over the internal network.
    response = client.post("/hooks/registry", b"{}", content_type="application/json")
    assert response.status_code != 301
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
