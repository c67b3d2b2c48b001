"""Triggers: webhooks called when a watched tag moves, with their delivery
log, re-send and test. Only those with the "triggers" right (imagestreams.access)
see them: their URLs and delivery logs often carry secrets."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from imagestreams.selectors.streams import streams_list
from imagestreams.services.errors import ServiceError
from imagestreams.web.http import WebRequest, go_to, page, principal_of, render_page, render_partial
from imagestreams.web.views.common import Perms, project_access
from triggers.models import (
    FINISHED_STATUSES,
    WAITING_STATUSES,
    DeliveryStatus,
    Preset,
    Trigger,
)
from triggers.selectors import delivery_get, delivery_list, trigger_get, trigger_list
from triggers.services.deliveries import delivery_resend, trigger_send_test
from triggers.services.triggers import trigger_create, trigger_delete, trigger_update
from triggers.web.forms import TriggerEditForm, TriggerForm

TRIGGERS_TEMPLATE = "triggers/triggers.html"
TRIGGER_TEMPLATE = "triggers/trigger.html"
DELIVERIES_SHOWN = 50
IN_FLIGHT = (*WAITING_STATUSES, DeliveryStatus.SENDING)
TRIGGERS_RIGHT = "triggers"


def trigger_url(trigger: Trigger) -> str:
    return reverse("triggers:trigger", args=[trigger.project.name, trigger.name])


@page
@require_http_methods(["GET", "POST"])
def trigger_list_view(request: WebRequest, project_name: str) -> HttpResponse:
    project, perms = project_access(request, project_name, TRIGGERS_RIGHT)
    form = TriggerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            trigger = trigger_create(
                by=principal_of(request),
                project=project,
                name=data["name"],
                stream=data["stream"].strip(),
                tag=data["tag"].strip(),
                preset=data["preset"],
                url=data["url"].strip(),
                options=form.options(),
                secret=data["secret"],
                token=data["token"],
                ssh_key=data["ssh_key"],
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request, f'Trigger "{trigger.name}" created; it fires when {trigger.watches} moves.'
            )
            return go_to(request, trigger_url(trigger))
    context = {
        "project": project,
        "perms": perms,
        "triggers": trigger_list(project=project),
        "form": form,
        "stream_names": streams_list(project=project).values_list("name", flat=True),
    }
    partial = "trigger-form" if request.method == "POST" else None
    return render_page(request, TRIGGERS_TEMPLATE, context, partial=partial)


def _trigger_context(trigger: Trigger, perms: Perms) -> dict:
    deliveries = list(delivery_list(trigger=trigger)[:DELIVERIES_SHOWN])
    return {
        "project": trigger.project,
        "perms": perms,
        "trigger": trigger,
        "deliveries": deliveries,
        # Poll while something is still being sent, so the log fills in by itself.
        "in_flight": any(delivery.status in IN_FLIGHT for delivery in deliveries),
        # Changes (not tests) whose sending is over may be sent again.
        "resendable": {
            delivery.pk
            for delivery in deliveries
            if delivery.change_id and delivery.status in FINISHED_STATUSES
        },
    }


@page
@require_GET
def trigger_detail(request: WebRequest, project_name: str, name: str) -> HttpResponse:
    project, perms = project_access(request, project_name, TRIGGERS_RIGHT)
    trigger = trigger_get(project=project, name=name)
    context = _trigger_context(trigger, perms)
    return render_page(request, TRIGGER_TEMPLATE, context, partial="trigger-main")


def _after_action(request: WebRequest, trigger: Trigger, perms: Perms) -> HttpResponse:
    trigger = trigger_get(project=trigger.project, name=trigger.name)
    if not request.htmx:
        return go_to(request, trigger_url(trigger))
    return render_partial(
        request, TRIGGER_TEMPLATE, "trigger-main", _trigger_context(trigger, perms)
    )


@page
@require_POST
def trigger_test(request: WebRequest, project_name: str, name: str) -> HttpResponse:
    """Send one test request now (no retries) and say how it went."""
    project, perms = project_access(request, project_name, TRIGGERS_RIGHT)
    trigger = trigger_get(project=project, name=name)
    result = trigger_send_test(by=principal_of(request), trigger=trigger)
    attempt = result.attempt
    if result.succeeded and trigger.preset == Preset.GIT:
        messages.success(request, f"Dry run: {attempt.response_body}; nothing was committed.")
    elif result.succeeded:
        messages.success(
            request, f"Test delivery sent: {attempt.response_status} from {attempt.request_url}."
        )
    else:
        answer = f"HTTP {attempt.response_status}" if attempt.response_status else attempt.error
        messages.error(request, f"Test delivery failed: {answer}")
    return _after_action(request, trigger, perms)


@page
@require_POST
def trigger_enable(request: WebRequest, project_name: str, name: str) -> HttpResponse:
    """Pause or resume (re-enabling one we disabled after failures clears them)."""
    project, perms = project_access(request, project_name, TRIGGERS_RIGHT)
    trigger = trigger_get(project=project, name=name)
    enabled = request.POST.get("enabled") == "on"
    try:
        trigger = trigger_update(by=principal_of(request), trigger=trigger, enabled=enabled)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        state = "enabled" if enabled else "paused"
        messages.success(request, f'Trigger "{trigger.name}" {state}.')
    return _after_action(request, trigger, perms)


@page
@require_POST
def delivery_resend_view(
    request: WebRequest, project_name: str, name: str, delivery: str
) -> HttpResponse:
    project, perms = project_access(request, project_name, TRIGGERS_RIGHT)
    trigger = trigger_get(project=project, name=name)
    found = delivery_get(trigger=trigger, delivery_id=delivery)
    try:
        delivery_resend(by=principal_of(request), delivery=found)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Delivery {found.uuid} queued to be sent again.")
    return _after_action(request, trigger, perms)


@page
@require_http_methods(["GET", "POST"])
def trigger_edit_view(request: WebRequest, project_name: str, name: str) -> HttpResponse:
    """Change where and how a trigger calls, keeping its delivery log."""
    project, perms = project_access(request, project_name, TRIGGERS_RIGHT)
    trigger = trigger_get(project=project, name=name)
    form = TriggerEditForm(request.POST or None, trigger=trigger)
    if request.method == "POST" and form.is_valid():
        try:
            trigger_update(by=principal_of(request), trigger=trigger, **form.changes(trigger))
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f'Trigger "{trigger.name}" saved.')
            return go_to(request, trigger_url(trigger))
    context = {
        "project": project,
        "perms": perms,
        "trigger": trigger,
        "form": form,
        "stream_names": streams_list(project=project).values_list("name", flat=True),
    }
    partial = "trigger-edit-form" if request.method == "POST" else None
    return render_page(request, "triggers/trigger_edit.html", context, partial=partial)


@page
@require_http_methods(["GET", "POST"])
def trigger_delete_view(request: WebRequest, project_name: str, name: str) -> HttpResponse:
    project, perms = project_access(request, project_name, TRIGGERS_RIGHT)
    trigger = trigger_get(project=project, name=name)
    if request.method == "GET":
        context = {"project": project, "perms": perms, "trigger": trigger}
        return render_page(request, "triggers/trigger_delete.html", context)
    trigger_delete(by=principal_of(request), trigger=trigger)
    messages.success(request, f'Trigger "{name}" deleted; its pending deliveries will not be sent.')
    return go_to(request, reverse("triggers:triggers", args=[project.name]))
