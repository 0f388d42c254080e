"""The web layer exists: index, lessons, /tutorial, /teach and /join render; unknown pages 404."""

import re

from app.api.pages import LESSONS, TUTORIAL


def test_index_links_every_lesson_and_the_docs(client):
    html = client.get("/").text
    for lesson in LESSONS:
        assert f'href="/{lesson.slug}"' in html
    assert 'href="/docs"' in html


def test_every_lesson_page_renders_its_title_and_marks_itself_current(client):
    for lesson in LESSONS:
        response = client.get(f"/{lesson.slug}")
        assert response.status_code == 200
        html = response.text.replace("&amp;", "&")
        assert f"<title>{lesson.title} · ConvLab</title>" in html
        assert (
            f'<h1>{lesson.title} <span class="question-tag">{lesson.question}</span></h1>' in html
        )
        assert f'href="/{lesson.slug}" aria-current="page"' in html


def test_unknown_page_returns_404_naming_it(client):
    response = client.get("/no-such-lesson")
    assert response.status_code == 404
    assert response.json() == {"detail": "no lesson called 'no-such-lesson'"}


def test_body_over_the_limit_returns_413(client):
    response = client.post(
        "/api/conv2d",
        content=b"{" + b" " * 1_100_000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "request body is larger than the limit of 1000000 bytes"}


def test_every_lesson_links_its_neighbours_in_lesson_order(client):
    for i, lesson in enumerate(LESSONS):
        html = client.get(f"/{lesson.slug}").text
        prev = re.search(r'<a class="pager-prev"[^>]*href="([^"]+)"', html).group(1)
        nxt = re.search(r'<a class="pager-next"[^>]*href="([^"]+)"', html).group(1)
        assert prev == (f"/{LESSONS[i - 1].slug}" if i > 0 else "/tutorial")
        assert nxt == (f"/{LESSONS[i + 1].slug}" if i + 1 < len(LESSONS) else "/tutorial")


def _number(question: str) -> int:
    """The tutorial question's number: "Q3b" → 3."""
    return int(re.match(r"Q(\d)", question).group(1))


def test_tutorial_page_lists_questions_1_to_6_in_order_with_their_lessons(client):
    response = client.get("/tutorial")
    assert response.status_code == 200
    html = response.text
    assert re.findall(r'data-question="(\d+)"', html) == ["1", "2", "3", "4", "5", "6"]
    kinds = client.get("/api/exercises").json()
    for question in TUTORIAL:
        n = question.number
        # the lessons whose tag names Qn or that hold an exercise of Qn, in lesson order
        pages = {k["page"] for k in kinds if any(_number(q) == n for q in k["questions"])}
        wanted = [
            lesson.slug
            for lesson in LESSONS
            if n in {int(d) for d in re.findall(r"Q(\d)", lesson.question)}
            or f"/{lesson.slug}" in pages
        ]
        item = html.split(f'data-question="{n}"')[1].split("</li>")[0]
        assert re.findall(r'<a href="/([a-z-]+)">', item) == wanted
    assert 'href="/tutorial" aria-current="page"' in html
    assert "pager-prev" not in html  # not a lesson: no previous / next lesson


def test_index_and_every_page_link_the_teacher_to_teach(client):
    assert 'href="/teach"' in client.get("/").text
    assert '<a href="/teach">Teach</a>' in client.get("/convolution").text


def test_teach_page_renders_and_marks_itself_current(client):
    html = client.get("/teach").text
    assert "<title>Teach a class · ConvLab</title>" in html
    assert 'href="/teach" aria-current="page"' in html
    assert "js/sessions/teach.js" in html


def test_join_page_renders_with_or_without_a_code_in_the_path(client):
    for path in ("/join", "/join?code=K7QX2M", "/join/K7QX2M"):
        html = client.get(path).text
        assert "<title>Join a class · ConvLab</title>" in html
        assert "js/sessions/join.js" in html


def test_every_page_loads_the_class_session_banner_module(client):
    for path in ("/", "/tutorial", *(f"/{lesson.slug}" for lesson in LESSONS)):
        assert "js/session_banner.js" in client.get(path).text
