from django.urls import path

from . import feedback, views

app_name = "treatments"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("search/", views.search, name="search"),
    path("compare/", views.compare, name="compare"),
    path("plan/", views.plan_page, name="plan"),
    path("plan/summary/", views.summary_page, name="summary"),
    path("plan/note.txt", views.plan_note, name="plan_note"),
    path("plan/summary.pdf", views.summary_pdf, name="summary_pdf"),
    path("plan/clinician/", views.clinician_summary_page, name="clinician_summary"),
    path("conditions/<slug:slug>/", views.condition_detail, name="condition"),
    path("conditions/<slug:slug>/options.csv", views.condition_csv, name="condition_csv"),
    path("drugs/<slug:slug>/", views.drug_detail, name="drug"),
    path("classes/<slug:slug>/", views.drug_class_detail, name="drug_class"),
    path("procedures/<slug:slug>/", views.procedure_detail, name="procedure"),
    path("diagnostics/<slug:slug>/", views.diagnostic_detail, name="diagnostic"),
    path("sources/<slug:key>/", views.source_detail, name="source"),
    path("report/<slug:record_type>/<slug:key>/", feedback.report_problem, name="report_problem"),
]
