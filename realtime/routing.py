from django.urls import path, re_path

from realtime.consumers import AssessmentConsumer

websocket_urlpatterns = [
    path("ws/assessment/<int:test_id>/", AssessmentConsumer.as_asgi()),
    re_path(r"^ws/assessment/?$", AssessmentConsumer.as_asgi()),
    re_path(r"^ws/chat/?$", AssessmentConsumer.as_asgi(), kwargs={"general": True}),
]
