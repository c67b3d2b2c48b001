"""Service accounts in the web UI: create, change the role, tokens shown
once with a copy button, revoke, delete."""

from __future__ import annotations

import re

import pytest

from imagestreams.models import ApiToken, ServiceAccount
from imagestreams.services.tokens import token_authenticate
from tests.teams.world import HTMX, page_text

pytestmark = pytest.mark.django_db
ACCOUNTS = "/p/team/serviceaccounts/"
SECRET = re.compile(r"isk_[A-Za-z0-9_-]{20,}")


@pytest.fixture
def admin(web_as, personas, team):
    return web_as(personas["admin"])


def test_creating_an_account_leads_to_its_page(admin):
    response = admin.post(ACCOUNTS, {"name": "deployer", "role": "editor", "description": "prod"})
    assert response.status_code == 302 and response["Location"] == f"{ACCOUNTS}deployer/"
    account = ServiceAccount.objects.get(name="deployer")
    assert (account.role, account.description) == ("editor", "prod")
    page = page_text(admin.get(ACCOUNTS))
    assert 'href="/p/team/serviceaccounts/deployer/"' in page and "prod" in page


def test_a_bad_name_is_explained_at_the_field(admin):
    response = admin.post(ACCOUNTS, {"name": "Deploy Bot", "role": "viewer"}, headers=HTMX)
    page = page_text(response)
    assert response.status_code == 200
    assert 'invalid service account name "Deploy Bot"' in page
    assert 'id="id_name_error"' in page
    assert not ServiceAccount.objects.exists()


def test_a_token_is_shown_once_with_a_copy_button(admin, service_account):
    response = admin.post(f"{ACCOUNTS}ci/tokens", {"name": "gitlab", "expires_in_days": "7"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = page_text(response)
    [secret] = set(SECRET.findall(page))
    assert f'data-copy="{secret}"' in page and 'class="copy"' in page
    assert "it is shown only once" in page
    assert token_authenticate(secret).name == "gitlab"
    again = page_text(admin.get(f"{ACCOUNTS}ci/"))
    assert secret not in again
    assert secret[:12] in again  # its prefix identifies it


def test_with_htmx_the_token_comes_back_in_the_region(admin, service_account):
    response = admin.post(f"{ACCOUNTS}ci/tokens", {"name": "gh"}, headers=HTMX)
    page = page_text(response)
    assert page.lstrip().startswith('<div id="account-main">')
    assert len(set(SECRET.findall(page))) == 1


def test_a_token_without_a_name_is_refused(admin, service_account):
    before = ApiToken.objects.count()
    page = page_text(admin.post(f"{ACCOUNTS}ci/tokens", {"name": ""}, headers=HTMX))
    assert "This field is required." in page
    assert not SECRET.search(page)
    assert ApiToken.objects.count() == before


def test_revoking_a_token(admin, service_account):
    account, _ = service_account
    token = ApiToken.objects.get(service_account=account)
    response = admin.post(f"{ACCOUNTS}ci/tokens/{token.pk}/revoke", headers=HTMX)
    assert f'id="token-{token.pk}"' not in page_text(response)
    assert "Token revoked" in page_text(response)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_changing_the_role_and_deleting(admin, service_account):
    response = admin.post(f"{ACCOUNTS}ci/role", {"role": "viewer"}, follow=True)
    assert 'Service account "ci" is now viewer.' in page_text(response)
    assert ServiceAccount.objects.get(name="ci").role == "viewer"
    deleted = admin.post(f"{ACCOUNTS}ci/delete", headers=HTMX)
    assert deleted["HX-Redirect"] == ACCOUNTS
    assert not ServiceAccount.objects.exists() and not ApiToken.objects.filter(name="pipeline")


def test_an_unknown_account_is_a_404(admin):
    assert admin.get(f"{ACCOUNTS}nobody/").status_code == 404
