from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("two-factor/", views.second_step, name="two_factor"),
    path("two-factor/not-now/", views.skip, name="skip"),
    path("two-factor/again/", views.step_up, name="step_up"),
    path("security/", views.security, name="security"),
    path("preferences/", views.preferences_page, name="preferences"),
    path("password/<uidb64>/<token>/", views.password_by_link, name="password_set"),
    path("hq/users/", views.hq_users, name="hq_users"),
    path("hq/users/<str:username>/", views.hq_user, name="hq_user"),
]
