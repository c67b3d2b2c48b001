"""URLs of the trigger pages, under /p/<project>/triggers/ (the root URLconf
includes them before the team pages)."""

from __future__ import annotations

from django.urls import include, path

from triggers.web import views

app_name = "triggers"

trigger_urls = [
    path("", views.trigger_detail, name="trigger"),
    path("test", views.trigger_test, name="trigger-test"),
    path("enabled", views.trigger_enable, name="trigger-enable"),
    path("edit", views.trigger_edit_view, name="trigger-edit"),
    path("delete", views.trigger_delete_view, name="trigger-delete"),
    path(
        "deliveries/<str:delivery>/resend",
        views.delivery_resend_view,
        name="delivery-resend",
    ),
]

urlpatterns = [
    path("", views.trigger_list_view, name="triggers"),
    path("<str:name>/", include(trigger_urls)),
]
