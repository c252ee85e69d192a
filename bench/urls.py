"""Bench-only routes, mounted under /bench/ when `BENCH_VIEWS` is set (never in production
unless `BENCH_VIEWS_I_KNOW` is set too; see glo_act.settings)."""

from django.urls import path

from bench import views

app_name = "bench"
urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("file/", views.file_baseline, name="file_baseline"),
]
