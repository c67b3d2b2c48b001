"""Sign-in forms (ours and the Django admin's) with failed attempts
rate-limited per account and address, and per address (imagestreams.ratelimit)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

from imagestreams.ratelimit import Limited, sign_in_allowed, sign_in_failed
from imagestreams.security import client_address

View = Callable[..., HttpResponseBase]


def limit_failed_sign_ins(view: View) -> View:
    """Wrap a login view: a POST that does not redirect (the form came back
    with an error) counts as a failed attempt. Once over the limit, even the
    right password is refused from that address, so guessing learns nothing
    more; the account's owner elsewhere is not affected."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        address, username = client_address(request), request.POST.get("username", "")
        try:
            sign_in_allowed(address, username)
            response = view(request, *args, **kwargs)
            if response.status_code == 200:
                sign_in_failed(address, username)
        except Limited as exc:
            return too_many(request, exc)
        return response

    return wrapper


def too_many(request: HttpRequest, exc: Limited) -> HttpResponse:
    message = f"Too many failed sign-ins from this address. Try again in {exc.retry_after} seconds."
    response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response
