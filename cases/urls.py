"""Case pages: the list, one case and its forms, cooperation requests."""

from django.urls import path

from cases import views
from cases.models import RouteLeg, Suspect

app_name = "cases"
urlpatterns = [
    path("", views.CaseListView.as_view(), name="list"),
    path("new/", views.CaseCreateView.as_view(), name="create"),
    path("export.<str:file_format>", views.CaseExportView.as_view(), name="export"),
    path("requests/", views.RequestListView.as_view(), name="requests"),
    path(
        "requests/export.<str:file_format>",
        views.RequestExportView.as_view(),
        name="requests_export",
    ),
    path("requests/<int:pk>/", views.RequestDetailView.as_view(), name="request"),
    path("reassign/", views.CaseReassignView.as_view(), name="reassign"),
    path("due/", views.DueView.as_view(), name="due"),
    path("hand-overs/", views.HandOverListView.as_view(), name="handovers"),
    path(
        "hand-overs/<int:pk>/<str:decision>/",
        views.HandOverDecideView.as_view(),
        name="handover_decide",
    ),
    path("<str:reference>/", views.CaseDetailView.as_view(), name="detail"),
    path("<str:reference>/edit/", views.CaseEditView.as_view(), name="edit"),
    path("<str:reference>/file/", views.CaseFileView.as_view(), name="file"),
    path("<str:reference>/file.pdf", views.CaseFileView.as_view(as_pdf=True), name="file_pdf"),
    path("<str:reference>/status/", views.CaseStatusView.as_view(), name="status"),
    path("<str:reference>/share/", views.CaseShareView.as_view(), name="share"),
    path("<str:reference>/assign/", views.CaseAssignView.as_view(), name="assign"),
    path("<str:reference>/flags/add/", views.FlagAddView.as_view(), name="flag_add"),
    path("<str:reference>/flags/<int:pk>/clear/", views.FlagClearView.as_view(), name="flag_clear"),
    path("<str:reference>/hand-over/", views.HandOverRequestView.as_view(), name="handover"),
    path(
        "<str:reference>/shares/<int:pk>/revoke/",
        views.ShareRevokeView.as_view(),
        name="share_revoke",
    ),
    path("<str:reference>/messages/", views.MessagePostView.as_view(), name="message_post"),
    path("<str:reference>/requests/new/", views.RequestCreateView.as_view(), name="request_create"),
    path("<str:reference>/route/add/", views.RouteLegAddView.as_view(), name="route_add"),
    path(
        "<str:reference>/route/<int:pk>/remove/",
        views.PartRemoveView.as_view(model=RouteLeg),
        name="route_remove",
    ),
    path("<str:reference>/suspects/add/", views.SuspectAddView.as_view(), name="suspect_add"),
    path(
        "<str:reference>/suspects/<int:pk>/remove/",
        views.PartRemoveView.as_view(model=Suspect),
        name="suspect_remove",
    ),
    path(
        "<str:reference>/suspects/<int:pk>/justice/add/",
        views.JusticeEventAddView.as_view(),
        name="justice_add",
    ),
    path(
        "<str:reference>/justice/<int:pk>/withdraw/",
        views.JusticeEventWithdrawView.as_view(),
        name="justice_withdraw",
    ),
]
