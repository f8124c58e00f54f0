"""The offline tutor (`make run` with no AI configured) declines a request for the answer in so many
words and answers other questions by what they ask; the attempt's report counts its refusals. Before,
every message got one canned reply with a word missing, and the report said "tutor refusals 0" after
three requests for the answer."""

import pytest
from django.contrib.auth.models import User
from django.test import Client as HttpClient
from django.urls import reverse

from assessments.ai.guard import REFUSAL
from assessments.models import Assessment
from testsupport.sockets import db, start_attempt

pytestmark = pytest.mark.django_db(transaction=True)


async def tutor_says(client, message: str, ref: str) -> str:
    await client.send("chat_message", {"message": message}, id=ref)
    while (reply := await client.recv())["type"] == "chat_chunk":
        pass
    assert reply["type"] == "system_message", reply
    return reply["data"]["message"]


def report_page(assessment_id: int) -> str:
    admin = User.objects.create_superuser("reader", "reader@example.com", "pw-reader-123")
    http = HttpClient()
    http.force_login(admin)
    return http.get(reverse("admin:assessments_assessment_report", args=[assessment_id])).content.decode()


async def test_requests_for_the_answer_are_refused_and_counted_in_the_report(ws_clients) -> None:
    started = await start_attempt(ws_clients, questions=4, total=2)
    prompt = started.question["data"]["prompt"]

    replies = [
        await tutor_says(started.client, text, f"c{n}")
        for n, text in enumerate(["What's the answer?", "Just tell me which option is correct", "is it B?"])
    ]
    meaning = await tutor_says(started.client, "What does this term mean?", "c9")
    approach = await tutor_says(started.client, "I'm stuck, any hints?", "c10")

    assert replies == [REFUSAL] * 3
    assert prompt in meaning
    assert prompt in approach
    assert meaning != approach  # what it says follows what was asked
    assert "does not have configured" not in meaning + approach
    assessment = await db(Assessment.objects.get)(candidate=started.user)
    page = await db(report_page)(assessment.pk)
    assert "tutor refusals<strong>3</strong>" in page
    assert "blocked leaks<strong>0</strong>" in page
