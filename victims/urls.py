"""Victim and referral pages."""

from django.urls import path

from victims import views

app_name = "victims"
urlpatterns = [
    path("", views.VictimListView.as_view(), name="list"),
    path("new/", views.VictimRegisterView.as_view(), name="register"),
    path("referrals/", views.ReferralListView.as_view(), name="referrals"),
    path("referrals/<int:pk>/", views.ReferralDetailView.as_view(), name="referral"),
    path(
        "referrals/<int:pk>/followups/",
        views.FollowUpScheduleView.as_view(),
        name="followup_schedule",
    ),
    path(
        "referrals/<int:pk>/<slug:action>/",
        views.ReferralActionView.as_view(),
        name="referral_action",
    ),
    path("followups/<int:pk>/", views.FollowUpRecordView.as_view(), name="followup_record"),
    path("<str:code>/", views.VictimDetailView.as_view(), name="detail"),
    path("<str:code>/reveal/", views.VictimRevealView.as_view(), name="reveal"),
    path("<str:code>/edit/", views.VictimEditView.as_view(), name="edit"),
    path("<str:code>/consents/new/", views.ConsentRecordView.as_view(), name="consent_record"),
    path(
        "<str:code>/consents/<int:pk>/withdraw/",
        views.ConsentWithdrawView.as_view(),
        name="consent_withdraw",
    ),
    path("<str:code>/refer/", views.ReferralCreateView.as_view(), name="refer"),
]
