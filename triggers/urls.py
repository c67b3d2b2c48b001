"""Routes of the triggers API, included under /api/v1/ next to the core API's."""

from __future__ import annotations

from django.urls import path

from triggers import api

P = "projects/<str:project>/triggers"
T = f"{P}/<str:name>"

urlpatterns = [
    path(P, api.TriggerListCreateApi.as_view(), name="api-triggers"),
    path(T, api.TriggerDetailApi.as_view(), name="api-trigger"),
    path(f"{T}/test", api.TriggerTestApi.as_view(), name="api-trigger-test"),
    path(f"{T}/deliveries", api.DeliveryListApi.as_view(), name="api-trigger-deliveries"),
    path(
        f"{T}/deliveries/<str:delivery>",
        api.DeliveryDetailApi.as_view(),
        name="api-trigger-delivery",
    ),
    path(
        f"{T}/deliveries/<str:delivery>/resend",
        api.DeliveryResendApi.as_view(),
        name="api-trigger-delivery-resend",
    ),
]
