from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from treatments import cds_hooks, smart

admin.site.site_header = "Neuropathy treatment explorer — editors"
admin.site.site_title = "Neuropathy explorer admin"

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/", include("treatments.api.urls")),
    path("smart/launch", smart.launch, name="smart_launch"),
    path("smart/callback", smart.callback, name="smart_callback"),
    path("smart/end", smart.end, name="smart_end"),
    path("cds-services", cds_hooks.discovery, name="cds_discovery"),
    path("cds-services/<slug:service>", cds_hooks.call, name="cds_service"),
    path("cds-services/<slug:service>/feedback", cds_hooks.feedback, name="cds_feedback"),
    path("", include("treatments.urls")),
]

handler404 = "treatments.views.page_not_found"
