from django.urls import path
from rest_framework_simplejwt.views import TokenRefreshView

from assessments.api import views

app_name = "api"

urlpatterns = [
    path("auth/token/", views.LoginView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/link/", views.LinkSignInView.as_view(), name="link-sign-in"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("me/", views.MeView.as_view(), name="me"),
    path("health/", views.HealthView.as_view(), name="health"),
    path("tests/", views.TestListView.as_view(), name="test-list"),
    path("tests/<int:test_id>/", views.TestDetailView.as_view(), name="test-detail"),
    path("tests/<int:test_id>/publish/", views.TestPublishView.as_view(), name="test-publish"),
    path("tests/<int:test_id>/questions/", views.TestQuestionsView.as_view(), name="test-questions"),
    path("tests/<int:test_id>/candidates/", views.TestCandidatesView.as_view(), name="test-candidates"),
    path("tests/<int:test_id>/results/", views.TestResultsView.as_view(), name="test-results"),
    path("my/tests/", views.MyTestsView.as_view(), name="my-tests"),
    path("my/assessments/", views.MyAssessmentsView.as_view(), name="my-assessments"),
    path("my/assessments/<int:assessment_id>/review/", views.MyAssessmentReviewView.as_view(), name="my-review"),
]
