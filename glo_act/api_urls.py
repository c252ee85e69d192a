"""The REST API: each app contributes its routes from its own `api/urls.py`."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("v1/", include("liaison_offices.api.urls")),
    path("v1/", include("cases.api.urls")),
    path("v1/", include("victims.api.urls")),
    path("v1/", include("evidence.api.urls")),
    path("v1/", include("people.api.urls")),
]
