"""Routes of the person index API, under /api/v1/."""

from django.urls import path

from people.api import views

urlpatterns = [
    path("people/lookup/", views.LookupView.as_view(), name="api-people-lookup"),
    path("cases/<str:reference>/people/", views.CasePeopleView.as_view(), name="api-case-people"),
    path(
        "cases/<str:reference>/people/ask/",
        views.MatchRequestView.as_view(),
        name="api-case-people-ask",
    ),
    path(
        "cases/<str:reference>/people/<int:person>/identifiers/",
        views.IdentifierCreateView.as_view(),
        name="api-case-people-identifiers",
    ),
]
