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
    Lesson("receptive-fields", "Receptive fields", "Q4", "receptive_fields.html"),
    Lesson("mnist", "MNIST CNN", "Q2, Q6c", "mnist.html"),
    Lesson("parameters", "Parameters & regularization", "Q1, Q6a–b", "parameters.html"),
)
_BY_SLUG = {lesson.slug: lesson for lesson in LESSONS}

router = APIRouter(include_in_schema=False)


def _render(request: Request, template: str, lesson: Lesson | None) -> HTMLResponse:
    templates = request.app.state.templates
    return templates.TemplateResponse(request, template, {"lessons": LESSONS, "lesson": lesson})


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The lab's front page: what it teaches and the lessons in the tutorial's order."""
    return _render(request, "index.html", None)


@router.get("/{slug}", response_class=HTMLResponse)
def lesson_page(request: Request, slug: str) -> HTMLResponse:
    """One lesson page."""
    lesson = _BY_SLUG.get(slug)
    if lesson is None:
        raise HTTPException(status_code=404, detail=f"no lesson called {slug!r}")
    return _render(request, lesson.template, lesson)
