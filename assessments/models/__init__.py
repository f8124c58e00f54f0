"""Jatayu's models, by entity; Django and the rest of the code import them from here."""

from assessments.models.attempts import (
    Assessment,
    AssessmentEvent,
    CandidateApplication,
    ChatMessage,
    IntegrityEvent,
    Response,
)
from assessments.models.base import Difficulty, KeepsServiceFields, ScoreField, score_number
from assessments.models.blueprints import Question, QuestionRegrade, Skill, Test, TestAnnouncement
from assessments.models.sessions import CandidateSession, SignInLink, TokenVersion

__all__ = [
    "Assessment",
    "AssessmentEvent",
    "CandidateApplication",
    "CandidateSession",
    "ChatMessage",
    "Difficulty",
    "IntegrityEvent",
    "KeepsServiceFields",
    "Question",
    "QuestionRegrade",
    "Response",
    "ScoreField",
    "SignInLink",
    "Skill",
    "Test",
    "TestAnnouncement",
    "TokenVersion",
    "score_number",
]
