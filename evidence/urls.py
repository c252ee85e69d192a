"""File pages: the upload form of a record, and the download."""

from django.urls import path

from evidence import views

app_name = "evidence"
urlpatterns = [
    path("<uuid:public_id>/", views.DownloadView.as_view(), name="download"),
    path("add/<str:record_type>/<str:key>/", views.UploadView.as_view(), name="upload"),
    path(
        "message/<str:reference>/",
        views.MessageWithFilesView.as_view(),
        name="message_post",
    ),
]
