from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import views

app_name = "api"

router = SimpleRouter()
router.register("conditions", views.ConditionViewSet, basename="condition")
router.register("drug-classes", views.DrugClassViewSet, basename="drug-class")
router.register("drugs", views.DrugViewSet, basename="drug")
router.register("medicines", views.MedicineViewSet, basename="medicine")
router.register("procedures", views.ProcedureViewSet, basename="procedure")
router.register("diagnostics", views.DiagnosticViewSet, basename="diagnostic")
router.register("sources", views.SourceViewSet, basename="source")
router.register("patient-factors", views.PatientFactorViewSet, basename="patient-factor")

urlpatterns = [
    *router.urls,
    path("drugs/<slug:slug>/", views.drug_detail, name="drug-detail"),
    path("explore/", views.explore, name="explore"),
    path("interactions/check/", views.interactions_check, name="interactions-check"),
    path("summary/", views.summary, name="summary"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from drf-spectacular-sidecar (static files, no CDN); the split view serves its
    # start-up script as a file, so the page needs no inline script under the CSP.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="treatments/api_docs.html"),
        name="docs",
    ),
]
