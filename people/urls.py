from django.urls import path

from people import views

app_name = "people"

urlpatterns = [
    path("lookup/", views.LookupView.as_view(), name="lookup"),
    path("cases/<str:reference>/add/", views.PersonAddView.as_view(), name="person_add"),
    path("cases/<str:reference>/network/", views.NetworkView.as_view(), name="network"),
    path("cases/<str:reference>/ask/", views.MatchRequestView.as_view(), name="match_request"),
    path(
        "cases/<str:reference>/<int:pk>/identifiers/add/",
        views.IdentifierAddView.as_view(),
        name="identifier_add",
    ),
    path(
        "cases/<str:reference>/<int:pk>/remove/",
        views.PersonRemoveView.as_view(),
        name="person_remove",
    ),
    path(
        "cases/<str:reference>/identifiers/<int:pk>/remove/",
        views.IdentifierRemoveView.as_view(),
        name="identifier_remove",
    ),
]
