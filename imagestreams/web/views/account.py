"""The signed-in user's own API tokens (for isctl and automation)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.views.decorators.http import require_http_methods, require_POST

from imagestreams.selectors.tokens import tokens_of
from imagestreams.services.errors import ServiceError
from imagestreams.services.tokens import MAX_TOKEN_DAYS, token_create, token_revoke
from imagestreams.web.forms import ServiceErrorsMixin
from imagestreams.web.http import WebRequest, page, principal_of, render_page


class TokenForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=100, help_text="Where it is used, e.g. laptop or ci.")
    expires_in_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        label="Expires after (days)",
        help_text="Leave empty for a token that does not expire.",
    )


@page
@require_http_methods(["GET", "POST"])
def tokens(request: WebRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = token_create(by=principal_of(request), **form.cleaned_data)
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            created = {"token": token, "raw": raw}
            messages.success(request, f'Token "{token.name}" created. Copy it now.')
            form = TokenForm()
    return _render(request, form, created)


@page
@require_POST
def token_revoke_view(request: WebRequest, token_id: int) -> HttpResponse:
    token_revoke(by=principal_of(request), owner=request.user, token_id=token_id)
    messages.success(request, "Token revoked.")
    return _render(request, TokenForm(), None)


def _render(request: WebRequest, form: TokenForm, created: dict | None) -> HttpResponse:
    context = {"form": form, "created": created, "tokens": tokens_of(user=request.user)}
    partial = "tokens" if request.method == "POST" else None
    return render_page(request, "web/account_tokens.html", context, partial=partial)
