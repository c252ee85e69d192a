"""File pages: the upload form of a record, and the download."""

from django.urls import path

from evidence import views

app_name = "evidence"
urlpatterns = [
    path("<uuid:public_id>/", views.DownloadView.as_view(), name="download"),
    path("add/<str:record_type>/<str:key>/", views.UploadView.as_view(), name="upload"),
    path("answer/<int:pk>/", views.AnswerWithFilesView.as_view(), name="answer_post"),
    path(
        "referral/<int:pk>/<str:action>/",
        views.UpdateWithFilesView.as_view(),
        name="update_post",
    ),
    path(
        "message/<str:reference>/",
        views.MessageWithFilesView.as_view(),
        name="message_post",
    ),
]
