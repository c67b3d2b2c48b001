"""Flash messages for htmx responses.

A full page renders the messages in base.html; an htmx response only swaps a
fragment, so pending messages are appended to it as an out-of-band swap of the
#messages region (htmx requires OOB elements at the top level of the response).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


class HtmxMessagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not self._wants_messages(request, response):
            return response
        pending = list(messages.get_messages(request))
        if pending:
            response.write(
                render_to_string(
                    "web/_messages.html", {"messages": pending, "oob": True}, request=request
                )
            )
        return response

    @staticmethod
    def _wants_messages(request: HttpRequest, response: HttpResponse) -> bool:
        htmx = getattr(request, "htmx", None)
        if not htmx or response.streaming:
            return False
        # A client-side redirect loads a full page, which shows the messages.
        if "HX-Redirect" in response or "HX-Refresh" in response:
            return False
        # htmx 2 swaps nothing for 204 and for error statuses.
        if response.status_code == 204 or response.status_code >= 300:
            return False
        return response.get("Content-Type", "").startswith("text/html")
