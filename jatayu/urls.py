from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from assessments.admin.sign_in import admin_sign_in
from jatayu.views import ApiDocsView

urlpatterns = [
    path("admin/login/", admin_sign_in),  # before the admin's own login view, which it wraps
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="schema"), name="docs"),
    path("api/", include("assessments.api.urls")),
    path("", include("assessments.web.urls")),
]

handler404 = "jatayu.views.not_found"
