"""URL map: pages per app, the REST API under /api/v1/, the HQ admin, health probes."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.views import SignInView, set_language
from cases.stats import stats
from glo_act import views
from victims.ctdc import ctdc_export

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        SignInView.as_view(),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/webauthn/", include("accounts.webauthn")),
    path("accounts/", include("accounts.urls")),
    # The language switcher: Django's set_language, which also keeps a signed-in person's
    # choice (accounts/views.py).
    path("i18n/setlang/", set_language, name="set_language"),
    path("hq/audit/", include("audit.urls")),
    path("api/", include("glo_act.api_urls")),
    path("", include("liaison_offices.urls")),
    path("cases/", include("cases.urls")),
    path("victims/", include("victims.urls")),
    path("files/", include("evidence.urls")),
    path("statistics/", stats, name="stats"),
    path("statistics/ctdc-records.csv", ctdc_export, name="ctdc_export"),
]

if settings.BENCH_VIEWS:
    urlpatterns += [path("bench/", include("bench.urls"))]

handler400 = "glo_act.views.bad_request"
handler403 = "glo_act.views.permission_denied"
handler404 = "glo_act.views.page_not_found"
handler500 = "glo_act.views.server_error"
