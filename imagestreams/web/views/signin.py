"""Sign-in forms (ours and the Django admin's) with failed attempts
rate-limited per client address and per username (imagestreams.ratelimit)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from imagestreams.ratelimit import Limited, identities, signin_limiter
from imagestreams.security import client_address

View = Callable[..., HttpResponse]


def limit_failed_sign_ins(view: View) -> View:
    """Wrap a login view: a POST that does not redirect (the form came back
    with an error) counts as a failed attempt. Once over the limit, even the
    right password is refused, so guessing learns nothing more."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        attempt = identities(client_address(request), request.POST.get("username", ""))
        try:
            signin_limiter.check(*attempt)
            response = view(request, *args, **kwargs)
            if response.status_code == 200:
                signin_limiter.hit(*attempt)
        except Limited as exc:
            return too_many(request, exc)
        return response

    return wrapper


def too_many(request: HttpRequest, exc: Limited) -> HttpResponse:
    message = (
        "Too many failed sign-ins from this address or for this user. "
        f"Try again in {exc.retry_after} seconds."
    )
    response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response
