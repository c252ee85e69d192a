from django.urls import path

from liaison_offices import views

urlpatterns = [
    path("", views.home, name="home"),
]
