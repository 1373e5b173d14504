from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Neuropathy treatment explorer — editors"
admin.site.site_title = "Neuropathy explorer admin"

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/", include("treatments.api.urls")),
    path("", include("treatments.urls")),
]

handler404 = "treatments.views.page_not_found"
