from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model


@pytest.fixture
def operator(client, db):
    """A client signed in as a superuser (an operator)."""
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client
