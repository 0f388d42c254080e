"""The web layer exists: index and every lesson render, unknown pages 404."""

from app.api.pages import LESSONS


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
        heading = f'<h1>{lesson.title} <span class="question-tag">{lesson.question}</span></h1>'
        assert heading in html
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
