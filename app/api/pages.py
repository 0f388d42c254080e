"""Server-rendered lesson pages (Jinja2); every number on them comes from the JSON API."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse


@dataclass(frozen=True)
class Lesson:
    slug: str
    title: str
    question: str
    template: str


LESSONS: tuple[Lesson, ...] = (
    Lesson("convolution", "Convolution", "Q3a–b", "convolution.html"),
    Lesson("matrix", "Convolution as a matrix", "Q3b–d", "matrix.html"),
    Lesson("backward", "Backward and transposed", "Q3b–d", "backward.html"),
    Lesson("equivariance", "Equivariance & pooling", "Q3c, Q5", "equivariance.html"),
    Lesson("aliasing", "Shift-invariance & aliasing", "Q5b", "aliasing.html"),
    Lesson("receptive-fields", "Receptive fields", "Q4", "receptive_fields.html"),
    Lesson("mnist", "MNIST CNN", "Q2, Q6c", "mnist.html"),
    Lesson("parameters", "Parameters & regularization", "Q1, Q6a–b", "parameters.html"),
    Lesson("experiments", "Experiments: CNN vs dense", "Q1, Q6c–d", "experiments.html"),
)
_BY_SLUG = {lesson.slug: lesson for lesson in LESSONS}


@dataclass(frozen=True)
class TutorialQuestion:
    number: int
    title: str
    asks: str
    slugs: tuple[str, ...]  # the lesson pages that answer it


# Tutorial 3A's questions in order, one line each, for /tutorial; the exercises that answer
# each one come from GET /api/exercises (their `question` names it).
TUTORIAL: tuple[TutorialQuestion, ...] = (
    TutorialQuestion(
        1,
        "Regularization and gradients",
        "The gradient of an L2-regularized loss and one weight-decay step θ ← (1 − 2ελ)θ − ε∇L.",
        ("parameters", "experiments"),
    ),
    TutorialQuestion(
        2,
        "Why convolution?",
        "Local patterns in 3, 5 and 9, what a dense 784 → H layer loses, and its parameters.",
        ("mnist", "parameters"),
    ),
    TutorialQuestion(
        3,
        "Convolution as a structured linear operator",
        "X ∗ K by hand, the output size, sparse interactions, parameter sharing, equivariance; "
        "the backward pass and the transposed convolution.",
        ("convolution", "matrix", "backward", "equivariance"),
    ),
    TutorialQuestion(
        4,
        "Receptive fields",
        "What one unit sees after L layers of k × k: R_L = 1 + L(k − 1).",
        ("receptive-fields",),
    ),
    TutorialQuestion(
        5,
        "Pooling and invariance",
        "2 × 2 max pooling: its output, its size ⌊H/2⌋ × ⌊W/2⌋, and what a shift does to it.",
        ("equivariance", "aliasing"),
    ),
    TutorialQuestion(
        6,
        "CNNs as structural regularization",
        "Dense against convolutional parameter counts, L2 against convolution as regularizers, "
        "which network generalizes better, and where convolution is the wrong bias.",
        ("mnist", "parameters", "experiments"),
    ),
)

router = APIRouter(include_in_schema=False)


def _render(
    request: Request, template: str, lesson: Lesson | None, **extra: object
) -> HTMLResponse:
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, template, {"lessons": LESSONS, "lesson": lesson, **extra}
    )


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The lab's front page: what it teaches and the lessons in the tutorial's order."""
    return _render(request, "index.html", None)


@router.get("/tutorial", response_class=HTMLResponse)
def tutorial(request: Request) -> HTMLResponse:
    """Tutorial 3A's questions in order, the lessons and exercises that answer each one."""
    return _render(
        request,
        "tutorial.html",
        None,
        page="tutorial",
        questions=TUTORIAL,
        lessons_by_slug=_BY_SLUG,
    )


@router.get("/teach", response_class=HTMLResponse)
def teach(request: Request) -> HTMLResponse:
    """The projector page of a class session: join code, questions, answers, progress."""
    return _render(request, "teach.html", None, page="teach")


@router.get("/join", response_class=HTMLResponse)
def join(request: Request) -> HTMLResponse:
    """A student's page of a class session (the code typed, or from ?code=)."""
    return _render(request, "join.html", None, page="join")


@router.get("/join/{code}", response_class=HTMLResponse)
def join_code(request: Request, code: str) -> HTMLResponse:
    """The same page with the code in the path (what the QR code opens)."""
    return _render(request, "join.html", None, page="join")


@router.get("/{slug}", response_class=HTMLResponse)
def lesson_page(request: Request, slug: str) -> HTMLResponse:
    """One lesson page."""
    lesson = _BY_SLUG.get(slug)
    if lesson is None:
        raise HTTPException(status_code=404, detail=f"no lesson called {slug!r}")
    return _render(request, lesson.template, lesson)
