from django.urls import path

from assessments.web import views

app_name = "web"

urlpatterns = [
    path("", views.sign_in, name="sign-in"),
    path("welcome/", views.welcome, name="welcome"),
    path("tests/", views.my_tests, name="my-tests"),
    path("assessment/<int:test_id>/", views.assessment, name="assessment"),
    path("results/<int:assessment_id>/", views.result, name="result"),
]
