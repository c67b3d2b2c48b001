"""Signing in and out of the team pages."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_the_sign_in_page(client):
    response = client.get("/p/team/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/p/team/"


def test_the_sign_in_page_has_labelled_fields(client):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html


def test_signing_in_leads_to_the_projects(client, people, project):
    response = client.post("/login/", {"username": "alice", "password": "pw"}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert b'href="/p/team/"' in response.content


def test_a_wrong_password_is_refused_with_a_message(client, people):
    response = client.post("/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_signing_out_needs_a_post(alice):
    assert b'action="/logout/"' in alice.get("/").content
    response = alice.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert alice.get("/").status_code == 302
