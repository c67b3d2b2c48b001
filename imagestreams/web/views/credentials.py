"""Registry credentials of a project (admins only). Passwords are write-only."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from imagestreams.selectors.registry_credentials import credentials_list
from imagestreams.services.credentials import credential_set
from imagestreams.services.errors import ServiceError
from imagestreams.web.forms import CredentialForm
from imagestreams.web.http import WebRequest, page, principal_of, render_page
from imagestreams.web.views.common import project_access


@page
@require_http_methods(["GET", "POST"])
def credentials(request: WebRequest, project_name: str) -> HttpResponse:
    project, perms = project_access(request, project_name, "admin")
    form = CredentialForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            credential = credential_set(
                by=principal_of(request), project=project, **form.cleaned_data
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request, f"Credentials for {credential.registry} saved ({credential.username})."
            )
            if not request.htmx:
                return redirect(reverse("web:credentials", args=[project.name]))
            form = CredentialForm()
    context = {
        "project": project,
        "perms": perms,
        "form": form,
        "credentials": credentials_list(project=project),
    }
    partial = "credentials" if request.method == "POST" else None
    return render_page(request, "web/credentials.html", context, partial=partial)
