"""What a candidate may see of their own results, by the test's feedback_mode."""

from typing import Any

from assessments.models import Assessment, Test


def candidate_sees_score(*, test: Test) -> bool:
    return test.feedback_mode != Test.FeedbackMode.NONE


def candidate_result_fields(*, assessment: Assessment) -> dict[str, Any]:
    """Score fields of a finished attempt as the candidate may see them (empty under `none`)."""
    if not candidate_sees_score(test=assessment.test):
        return {}
    return {
        "score": assessment.score,
        "max_score": assessment.max_score,
        "percentage_score": assessment.percentage_score,
        "passed": assessment.passed,
        "pass_percentage": assessment.test.pass_percentage,
    }


def candidate_skill_breakdown(*, assessment: Assessment) -> dict[str, Any]:
    """Per skill, questions asked and answered correctly; θ and SE stay with recruiters."""
    if not candidate_sees_score(test=assessment.test):
        return {}
    skills = assessment.ai_state.get("ability", {}).get("skills", {})
    return {"skills": {name: {"asked": a["asked"], "correct": a["correct"]} for name, a in skills.items()}}
