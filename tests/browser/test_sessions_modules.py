"""The class-session pages' DOM-free modules, run in a real Chromium: join codes and URLs,
bars of a round, two rounds side by side, the progress board's rows, the outcome a lesson page
reports, and the QR code of a join URL decoded back by an independent reader (jsQR)."""

from __future__ import annotations

from pathlib import Path

import pytest

JSQR = Path(__file__).parent / "vendor" / "jsQR.js"


@pytest.fixture()
def lab(page):
    page.goto("/")
    return page


def run(pg, body: str, arg=None):
    """Evaluate `body` with the session modules imported as `s` (session_state.js)."""
    return pg.evaluate(
        f"""async (arg) => {{
          const s = await import("/static/js/session_state.js");
          {body}
        }}""",
        arg,
    )


@pytest.mark.parametrize(
    ("typed", "code"),
    [("abc234", "ABC234"), (" k7q-x2m ", "K7QX2M"), ("k7 qx 2m", "K7QX2M"), ("", ""), ("--", "")],
)
def test_a_typed_code_is_read_as_the_server_writes_it(lab, typed, code):
    assert run(lab, "return s.normalizeCode(arg);", typed) == code


@pytest.mark.parametrize(
    ("path", "search", "code"),
    [
        ("/join/K7QX2M", "", "K7QX2M"),
        ("/join/k7qx2m", "", "K7QX2M"),
        ("/join", "?code=abc234", "ABC234"),
        ("/join", "", ""),
        ("/join/", "?code=K7QX2M", "K7QX2M"),
    ],
)
def test_the_join_address_carries_its_code(lab, path, search, code):
    assert run(lab, "return s.codeFromLocation(arg[0], arg[1]);", [path, search]) == code


def test_a_rounds_bars_are_ordered_by_count_with_their_share(lab):
    bars = run(
        lab,
        "return s.roundBars(arg);",
        {
            "round": 1,
            "answered": 4,
            "distribution": [
                {"answer": "4", "count": 1, "correct": False},
                {"answer": "5", "count": 3, "correct": True},
            ],
        },
    )
    assert bars == [
        {"key": "5", "label": "5", "count": 3, "fraction": 0.75},
        {"key": "4", "label": "4", "count": 1, "fraction": 0.25},
    ]


def test_two_rounds_share_rows_ordered_by_the_last_round(lab):
    aligned = run(
        lab,
        "return s.alignRounds(arg);",
        [
            {
                "round": 1,
                "answered": 3,
                "distribution": [{"answer": "4", "count": 2}, {"answer": "5", "count": 1}],
            },
            {
                "round": 2,
                "answered": 4,
                "distribution": [{"answer": "5", "count": 3}, {"answer": "9", "count": 1}],
            },
        ],
    )
    assert aligned["rounds"] == [1, 2]
    assert aligned["answered"] == [3, 4]
    assert [(r["label"], r["counts"]) for r in aligned["rows"]] == [
        ("5", [1, 3]),
        ("9", [0, 1]),
        ("4", [2, 0]),
    ]


def test_share_text_gives_count_total_and_percent(lab):
    assert run(lab, "return [s.shareText(1, 3), s.shareText(0, 0)];") == [
        "1 of 3 (33%)",
        "0 of 0 (0%)",
    ]


def test_progress_rows_count_not_yet_from_the_server_or_the_rest(lab):
    rows = run(
        lab,
        "return s.progressRows(arg);",
        {
            "participants": 10,
            "kinds": [
                {"exercise": "a", "title": "A", "first_try": 3, "after_hint": 2, "shown": 1,
                 "not_yet": 4},
                {"exercise": "b", "first_try": 1, "after_hint": 0},
            ],
        },
    )  # fmt: skip
    assert rows == [
        {"exercise": "a", "title": "A", "firstTry": 3, "afterHint": 2, "shown": 1, "notYet": 4,
         "total": 10},
        {"exercise": "b", "title": "b", "firstTry": 1, "afterHint": 0, "shown": 0, "notYet": 9,
         "total": 10},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("detail", "body"),
    [
        (
            {"exercise": "output-size", "seed": 7, "outcome": "first-try", "extra": 1},
            {"exercise": "output-size", "seed": 7, "outcome": "first-try"},
        ),
        ({"exercise": "output-size", "seed": 7, "outcome": "right"}, None),
        ({"exercise": "output-size", "seed": "7", "outcome": "shown"}, None),
        ({"exercise": "", "seed": 7, "outcome": "shown"}, None),
        (None, None),
    ],
)
def test_only_a_well_formed_outcome_is_reported(lab, detail, body):
    assert run(lab, "return s.outcomeBody(arg);", detail) == body


def test_stored_session_round_trips_and_junk_reads_as_none(lab):
    result = run(
        lab,
        """const store = new Map();
           const storage = { getItem: (k) => store.get(k) ?? null,
                             setItem: (k, v) => store.set(k, v),
                             removeItem: (k) => store.delete(k) };
           s.writeStored(storage, s.TEACHER_KEY, { code: "K7QX2M", token: "t" });
           const back = s.readStored(storage, s.TEACHER_KEY);
           storage.setItem(s.PARTICIPANT_KEY, "{not json");
           const junk = s.readStored(storage, s.PARTICIPANT_KEY);
           s.writeStored(storage, s.TEACHER_KEY, null);
           return [back, junk, s.readStored(storage, s.TEACHER_KEY)];""",
    )
    assert result == [{"code": "K7QX2M", "token": "t"}, None, None]


def test_the_qr_code_of_a_join_url_decodes_to_that_url(lab):
    lab.evaluate(JSQR.read_text(encoding="utf-8"))  # evaluated by the driver: not under the CSP
    url = "http://192.168.1.20:8000/join?code=K7QX2M"
    decoded = lab.evaluate(
        """async (url) => {
          const { qrModules } = await import("/static/js/qr.js");
          const m = qrModules(url);
          const scale = 6, quiet = 4, side = (m.length + 2 * quiet) * scale;
          const data = new Uint8ClampedArray(side * side * 4).fill(255);
          m.forEach((row, r) => row.forEach((dark, c) => {
            if (!dark) return;
            for (let y = 0; y < scale; y++) for (let x = 0; x < scale; x++) {
              const i = 4 * ((r + quiet) * scale + y) * side + 4 * ((c + quiet) * scale + x);
              data[i] = data[i + 1] = data[i + 2] = 0;
            }
          }));
          return { size: m.length, text: jsQR(data, side, side)?.data ?? null };
        }""",
        url,
    )
    assert decoded == {"size": 29, "text": url}  # version 3 (29 × 29) holds 42 bytes at level M


def test_a_qr_code_refuses_text_it_cannot_hold(lab):
    error = lab.evaluate(
        """async () => {
          const { qrModules } = await import("/static/js/qr.js");
          try { qrModules("café"); return null; } catch (e) { return e.message; }
        }"""
    )
    assert error == "the QR code here holds ASCII text only (a URL)"
