"""Thin HTTP views: validate input, call one service or selector, serialize the result."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView

from assessments.api.health import OK, health_report
from assessments.api.pagination import PaginatedListView
from assessments.api.permissions import IsRecruiter
from assessments.api.renderers import CSVRenderer
from assessments.api.serializers import (
    RESULT_FIELDS,
    CandidateAddedSerializer,
    CandidateAddSerializer,
    ErrorSerializer,
    HealthSerializer,
    LinkSignInSerializer,
    LinkTokensSerializer,
    LogoutSerializer,
    MeSerializer,
    MyAssessmentSerializer,
    MyTestSerializer,
    QuestionInputSerializer,
    QuestionSerializer,
    ResultSerializer,
    TestCreatedSerializer,
    TestCreateSerializer,
    TestSerializer,
    TestWriteSerializer,
)
from assessments.api.throttles import LoginAddressThrottle, LoginUsernameThrottle
from assessments.errors import ApplicationError, BackOfficeCode
from assessments.models import Test
from assessments.roles import role_of
from assessments.selectors import catalog, comparison
from assessments.selectors.response_signals import response_signals
from assessments.selectors.review import candidate_review
from assessments.services import blueprints, candidates
from assessments.services.attempt_control import assessments_expire_due
from assessments.services.invitations import sign_in_link_redeem
from assessments.services.tokens import refresh_token_for, tokens_revoke

E400 = OpenApiResponse(ErrorSerializer, description="Invalid input (`validation_error`, with `fields`).")
E401 = OpenApiResponse(ErrorSerializer, description="`not_authenticated` or `token_not_valid`.")
E403 = OpenApiResponse(ErrorSerializer, description="`permission_denied`: not a recruiter.")
E404 = OpenApiResponse(ErrorSerializer, description="`not_found` (also another recruiter's test).")
E409 = OpenApiResponse(ErrorSerializer, description="Conflict with the current state.")
RECRUITER_ERRORS: dict[int, OpenApiResponse] = {401: E401, 403: E403, 404: E404}


def current_user(request: Request) -> User:
    user = request.user
    if not isinstance(user, get_user_model()) or not user.is_authenticated:
        raise NotAuthenticated()
    return user


class RecruiterView(APIView):
    permission_classes = [IsAuthenticated, IsRecruiter]

    def get_test(self, request: Request, test_id: int) -> Test:
        return catalog.blueprint_get_visible(user=current_user(request), test_id=test_id)


# ------------------------------------------------------------------------------------------- auth


class LoginView(TokenObtainPairView):
    """simplejwt's sign-in, limited per client address and per username."""

    throttle_classes = [LoginAddressThrottle, LoginUsernameThrottle]


class LinkSignInView(APIView):
    """Sign in with the one-time link of an invitation or reminder email: the link's secret for a
    pair of tokens, once. A used, expired or unknown link gets 400 `link_used`, `link_expired` or
    `link_invalid`; limited per client address like the password sign-in."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginAddressThrottle]

    @extend_schema(request=LinkSignInSerializer, responses={200: LinkTokensSerializer, 400: E400}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = LinkSignInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = sign_in_link_redeem(secret=serializer.validated_data["secret"])
        refresh = refresh_token_for(user=link.user)
        body = {"access": str(refresh.access_token), "refresh": str(refresh), "test": link.test_id}
        return Response(LinkTokensSerializer(body).data)


class LogoutView(APIView):
    """Blacklist a refresh token and end the user's sign-ins: its access tokens get 401 and its
    sockets close with 4001."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request: Request) -> str:
        return f'{jwt_settings.AUTH_HEADER_TYPES[0]} realm="api"'

    @extend_schema(request=LogoutSerializer, responses={204: None, 400: E400, 401: E401}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            refresh = RefreshToken(serializer.validated_data["refresh"])
            refresh.blacklist()
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        # Its access tokens, and every other sign-in of the user, end too; open sockets close (4001).
        tokens_revoke(user_id=int(refresh[jwt_settings.USER_ID_CLAIM]))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses={200: MeSerializer, 401: E401}, tags=["auth"])
    def get(self, request: Request) -> Response:
        user = current_user(request)
        data = {"id": user.pk, "username": user.get_username(), "role": role_of(user)}
        return Response(MeSerializer(data).data)


# ----------------------------------------------------------------------------------------- health


class HealthView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []  # load balancers poll it; it reads nothing a client controls

    @extend_schema(responses={200: HealthSerializer, 503: HealthSerializer}, tags=["health"])
    def get(self, request: Request) -> Response:
        report = health_report()
        healthy = all(value == OK for value in report.values())
        return Response(report, status=status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE)


# ------------------------------------------------------------------------------------- recruiters


class TestListView(PaginatedListView, RecruiterView):
    @extend_schema(responses={200: TestSerializer(many=True), 401: E401, 403: E403}, tags=["tests"])
    def get(self, request: Request) -> Response:
        tests = catalog.blueprints_visible_to(user=current_user(request))
        # Newest first, as Test.Meta says: the selector's aggregates (GROUP BY) drop the default ordering,
        # and pages need a stable order.
        return self.paginated_response(request, tests, TestSerializer)

    @extend_schema(
        request=TestCreateSerializer,
        responses={201: TestCreatedSerializer, 400: E400, 401: E401, 403: E403},
        tags=["tests"],
    )
    def post(self, request: Request) -> Response:
        serializer = TestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = current_user(request)
        test = blueprints.blueprint_create(
            created_by=user,
            fields=serializer.test_fields(),
            skills=serializer.skill_specs() or [],
            questions=serializer.question_specs(),
        )
        test = catalog.blueprint_get_visible(user=user, test_id=test.pk)
        return Response(TestCreatedSerializer(test).data, status=status.HTTP_201_CREATED)


class TestDetailView(RecruiterView):
    @extend_schema(responses={200: TestSerializer, **RECRUITER_ERRORS}, tags=["tests"])
    def get(self, request: Request, test_id: int) -> Response:
        return Response(TestSerializer(self.get_test(request, test_id)).data)

    @extend_schema(
        request=TestWriteSerializer(partial=True),
        responses={200: TestSerializer, 400: E400, **RECRUITER_ERRORS, 409: E409},
        tags=["tests"],
        description="`skills`, when present, replaces the whole list; removing a skill that has questions "
        "is refused with 409 `skill_has_questions`. `status` may be set to draft or archived.",
    )
    def patch(self, request: Request, test_id: int) -> Response:
        test = self.get_test(request, test_id)
        serializer = TestWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        blueprints.blueprint_update(test=test, fields=serializer.test_fields(), skills=serializer.skill_specs())
        return Response(TestSerializer(self.get_test(request, test_id)).data)

    @extend_schema(responses={204: None, **RECRUITER_ERRORS, 409: E409}, tags=["tests"])
    def delete(self, request: Request, test_id: int) -> Response:
        blueprints.blueprint_delete(test=self.get_test(request, test_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TestPublishView(RecruiterView):
    @extend_schema(
        request=None,
        responses={200: TestSerializer, 400: E400, **RECRUITER_ERRORS, 409: E409},
        tags=["tests"],
        description="400 `no_skills`, `skill_without_questions` or `bank_too_small` (offline provider); "
        "409 `test_archived`. Publishing a published test changes nothing.",
    )
    def post(self, request: Request, test_id: int) -> Response:
        test = self.get_test(request, test_id)
        blueprints.blueprint_publish(test=test, by=current_user(request))
        return Response(TestSerializer(self.get_test(request, test_id)).data)


class TestQuestionsView(PaginatedListView, RecruiterView):
    @extend_schema(responses={200: QuestionSerializer(many=True), **RECRUITER_ERRORS}, tags=["questions"])
    def get(self, request: Request, test_id: int) -> Response:
        questions = catalog.blueprint_questions(test=self.get_test(request, test_id))
        return self.paginated_response(request, questions, QuestionSerializer)

    @extend_schema(
        request=QuestionInputSerializer,
        responses={201: QuestionSerializer, 400: E400, **RECRUITER_ERRORS},
        tags=["questions"],
    )
    def post(self, request: Request, test_id: int) -> Response:
        test = self.get_test(request, test_id)
        serializer = QuestionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        spec = serializer.to_spec()
        question = blueprints.question_create(
            test=test,
            skill=spec.skill,
            prompt=spec.prompt,
            options=spec.options,
            correct_option=spec.correct_option,
            explanation=spec.explanation,
            difficulty=spec.difficulty,
            kind=spec.kind,
            correct_options=spec.correct_options,
        )
        return Response(QuestionSerializer(question).data, status=status.HTTP_201_CREATED)


class TestCandidatesView(RecruiterView):
    @extend_schema(
        request=CandidateAddSerializer,
        responses={
            201: CandidateAddedSerializer,
            200: OpenApiResponse(CandidateAddedSerializer, description="The application already existed."),
            400: E400,
            **RECRUITER_ERRORS,
            409: E409,
        },
        tags=["tests"],
        description="Shortlist a candidate, creating the account when missing (never changing an existing "
        "account). 409 `user_is_recruiter`.",
    )
    def post(self, request: Request, test_id: int) -> Response:
        test = self.get_test(request, test_id)
        serializer = CandidateAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = candidates.candidate_add(
            test=test,
            username=data["username"],
            email=data.get("email") or None,
            password=data.get("password") or None,
            time_multiplier=data.get("time_multiplier"),
        )
        body = {
            "candidate_id": result.candidate.pk,
            "application_id": result.application.pk,
            "username": result.candidate.get_username(),
            "password": result.password,
            "created": result.user_created,
            "application_status": result.application.status,
            "time_multiplier": result.application.time_multiplier,
        }
        created = result.user_created or result.application_created
        return Response(
            CandidateAddedSerializer(body).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class TestResultsView(PaginatedListView, RecruiterView):
    """One row per attempt, paged; `?format=csv` gives every row (never paged) as CSV with a header row."""

    renderer_classes = [JSONRenderer, CSVRenderer]
    csv_header = RESULT_FIELDS

    def handle_exception(self, exc: Exception) -> Response:
        # Errors are always JSON, whatever format the results were asked in.
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    @extend_schema(
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"], description="csv for a CSV file")
        ],
        responses={
            (200, JSONRenderer.media_type): ResultSerializer(many=True),
            (200, CSVRenderer.media_type): OpenApiResponse(
                OpenApiTypes.STR, description="Every attempt, one CSV row each after a header row; never paged."
            ),
            **RECRUITER_ERRORS,
        },
        tags=["tests"],
        description="JSON is paged (`page`, `page_size`); the CSV download always has every row.",
    )
    def get(self, request: Request, test_id: int) -> Response:
        test = self.get_test(request, test_id)
        assessments_expire_due(test_id=test.pk)
        results = catalog.blueprint_results(test=test)
        context: dict[str, object] = {"percentiles": comparison.percentile_ranks(test=test)}
        renderer: BaseRenderer | None = getattr(request, "accepted_renderer", None)
        if renderer is not None and renderer.format == CSVRenderer.format:
            # An export is complete: no paging here.
            rows = list(results)
            return Response(
                ResultSerializer(
                    rows, many=True, context={**context, "signals": response_signals(assessments=rows)}
                ).data,
                headers={"Content-Disposition": f'attachment; filename="test-{test.pk}-results.csv"'},
            )
        return self.paginated_response(
            request,
            results,
            ResultSerializer,
            context,
            page_context=lambda page: {"signals": response_signals(assessments=page)},
        )


# ------------------------------------------------------------------------------------- candidates


class MyTestsView(PaginatedListView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MyTestSerializer(many=True), 401: E401}, tags=["candidate"])
    def get(self, request: Request) -> Response:
        user = current_user(request)
        assessments_expire_due(candidate_id=user.pk)
        return self.paginated_response(request, catalog.my_tests(user=user), MyTestSerializer)


REVIEW_SCHEMA = inline_serializer(
    "AttemptReview",
    {
        "feedback_mode": drf_serializers.CharField(),
        "questions": drf_serializers.ListField(
            child=drf_serializers.DictField(),
            help_text="In the order asked: position, prompt, options (as served), chosen (the indices chosen), "
            "correct (full credit; null if unanswered), credit (0 to 1), void; under `full` also key (the "
            "correct indices) and explanation. Empty under `none` and while the attempt runs.",
        ),
    },
)


class MyAssessmentReviewView(APIView):
    """An own finished attempt, question by question, as the test's feedback mode allows."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: REVIEW_SCHEMA, 401: E401, 404: E404}, tags=["candidate"])
    def get(self, request: Request, assessment_id: int) -> Response:
        user = current_user(request)
        assessments_expire_due(candidate_id=user.pk)
        assessment = catalog.my_assessments(user=user).filter(pk=assessment_id).first()
        if assessment is None:
            raise ApplicationError(
                BackOfficeCode.ASSESSMENT_NOT_FOUND, f"You have no attempt {assessment_id}.", status=404
            )
        return Response(candidate_review(assessment=assessment))


class MyAssessmentsView(PaginatedListView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MyAssessmentSerializer(many=True), 401: E401}, tags=["candidate"])
    def get(self, request: Request) -> Response:
        user = current_user(request)
        assessments_expire_due(candidate_id=user.pk)
        return self.paginated_response(request, catalog.my_assessments(user=user), MyAssessmentSerializer)
