from django.urls import path

from liaison_offices.api.views import MeView

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
]
