"""Shared plumbing of the web views: request typing, access errors, and
rendering a page or one of its partials."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from imagestreams.access import Principal, acting
from imagestreams.services.errors import Conflict, Forbidden, NotFound


class WebRequest(HttpRequest):
    """A signed-in request that went through django-htmx's middleware."""

    htmx: HtmxDetails
    user: User


View = Callable[..., HttpResponseBase]


def page(view: View) -> View:
    """Sign-in required; the access check's NotFound/Forbidden become 404/403.

    Outsiders get 404 so a project's existence is not revealed. Responses
    differ between full pages and htmx partials, hence the Vary header.
    """

    @wraps(view)
    def wrapper(request: WebRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except (NotFound, Conflict) as exc:
            raise Http404(exc.message) from None
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from None

    return login_required(vary_on_headers("HX-Request")(wrapper))


def render_page(
    request: WebRequest, template: str, context: dict, *, partial: str | None = None
) -> HttpResponse:
    """The whole page, or only `partial` of it when htmx asks."""
    name = f"{template}#{partial}" if partial and request.htmx else template
    return render(request, name, context)


def render_partial(request: WebRequest, template: str, partial: str, context: dict) -> HttpResponse:
    return render(request, f"{template}#{partial}", context)


def go_to(request: WebRequest, url: str) -> HttpResponse:
    """After a successful form: a client-side redirect for htmx, a 302 otherwise."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def principal_of(request: WebRequest) -> Principal:
    """Who acts in a web request: the signed-in user, through the web pages."""
    return acting(request.user, "web")
