from django.urls import path

from liaison_offices import views

urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read-all/", views.notifications_read_all, name="inbox_read_all"),
    path("inbox/<int:pk>/", views.notification_open, name="notification_open"),
    path("inbox/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("inbox/preferences/", views.preferences, name="preferences"),
]
