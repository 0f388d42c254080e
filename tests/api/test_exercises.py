"""The exercises API: the list, drawing from a seed, checking; 404 and 422 texts exact."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

NAMED = (
    "conv-output-value",
    "output-size",
    "receptive-field",
    "parameter-count",
    "weight-decay-step",
)
SEED_MESSAGE = "seed must be a whole number from 0 to 4294967295"


def test_list_names_every_required_kind_with_its_question_and_page(client: TestClient) -> None:
    listed = {item["id"]: item for item in client.get("/api/exercises").json()}
    assert set(NAMED) <= set(listed)
    assert listed["conv-output-value"] == {
        "id": "conv-output-value",
        "question": "Q3a",
        "questions": ["Q3a"],
        "page": "/convolution",
        "title": "One output value of a convolution",
    }
    assert listed["parameter-count"]["questions"] == ["Q6a", "Q2b"]
    assert listed["receptive-field"]["page"] == "/receptive-fields"
    assert listed["weight-decay-step"]["question"] == "Q1"


def test_list_has_at_least_ten_kinds_with_unique_ids(client: TestClient) -> None:
    ids = [item["id"] for item in client.get("/api/exercises").json()]
    assert len(ids) >= 10
    assert len(set(ids)) == len(ids)


def test_every_lesson_page_has_an_exercise(client: TestClient) -> None:
    pages = {item["page"] for item in client.get("/api/exercises").json()}
    assert pages == {
        "/convolution",
        "/matrix",
        "/equivariance",
        "/aliasing",
        "/receptive-fields",
        "/mnist",
        "/parameters",
        "/backward",
        "/experiments",
    }


def test_every_question_of_the_tutorial_has_an_exercise(client: TestClient) -> None:
    questions = {q for item in client.get("/api/exercises").json() for q in item["questions"]}
    wanted = {"Q1", "Q2a", "Q2b", "Q3a", "Q3b", "Q3c", "Q3d", "Q4", "Q5a", "Q5b", "Q6a", "Q6b"}
    assert wanted | {"Q6c", "Q6d"} <= questions


def test_list_is_in_the_tutorials_order(client: TestClient) -> None:
    questions = [item["question"] for item in client.get("/api/exercises").json()]
    assert questions[0] == "Q1"
    assert questions.index("Q2a") < questions.index("Q3a") < questions.index("Q4")
    assert questions.index("Q4") < questions.index("Q5a") < questions.index("Q6a")


def test_multiple_choice_check_explains_every_option(client: TestClient) -> None:
    drawn = client.get("/api/exercises/concept-limits", params={"seed": 0}).json()
    assert drawn["answer_format"]["type"] == "choice"
    verdict = client.post(
        "/api/exercises/concept-limits/check", json={"seed": 0, "answer": "a"}
    ).json()
    assert verdict["correct"] is False
    assert verdict["expected"] == "B"
    assert verdict["hint"] == (
        "Horizontal strokes are local patterns: one small filter finds them anywhere."
    )
    assert [o["key"] for o in verdict["options"]] == ["A", "B", "C", "D"]
    assert [o["correct"] for o in verdict["options"]] == [False, True, False, False]
    assert all(o["explanation"] for o in verdict["options"])


def test_cells_answer_through_the_api(client: TestClient) -> None:
    body = {"seed": 3, "answer": "[[3,7],[2,6],[3,6],[2,7]]"}
    verdict = client.post("/api/exercises/grad-input-entries/check", json=body).json()
    assert verdict["correct"] is True
    assert verdict["expected"] == "2,6; 2,7; 3,6; 3,7"
    assert verdict["expected_value"] == [[2, 6], [2, 7], [3, 6], [3, 7]]


def test_get_with_a_seed_gives_the_inputs_the_contract_names(client: TestClient) -> None:
    data = client.get("/api/exercises/output-size", params={"seed": 0}).json()
    assert data == {
        "id": "output-size",
        "seed": 0,
        "prompt": "A 15×15 input goes through a convolution with a 4×4 kernel, stride 2, zero "
        "padding 1, dilation 1. What is the side of the (square) output?",
        "inputs": {"size": 15, "kernel": 4, "stride": 2, "padding": 1, "dilation": 1},
        "answer_format": {
            "type": "size",
            "description": "the side of a square, e.g. 7 (7x7 and 7 × 7 are accepted too)",
            "example": "7 × 7",
            "tolerance": 0.0,
            "indexing": None,
            "length": None,
        },
    }


@pytest.mark.parametrize(
    ("exercise_id", "keys"),
    [
        ("conv-output-value", {"input", "kernel", "stride", "padding", "cell"}),
        ("output-size", {"size", "kernel", "stride", "padding", "dilation"}),
        ("receptive-field", {"layers", "kernel"}),
        ("weight-decay-step", {"theta", "gradient", "lr", "weight_decay"}),
    ],
)
def test_named_kinds_have_exactly_the_contracts_inputs(
    client: TestClient, exercise_id: str, keys: set[str]
) -> None:
    for seed in range(5):
        inputs = client.get(f"/api/exercises/{exercise_id}", params={"seed": seed}).json()
        assert set(inputs["inputs"]) == keys


def test_parameter_count_inputs_depend_on_the_layer_kind(client: TestClient) -> None:
    seen = set()
    for seed in range(20):
        inputs = client.get("/api/exercises/parameter-count", params={"seed": seed}).json()
        inputs = inputs["inputs"]
        expected = (
            {"kind", "in_features", "out_features"}
            if inputs["kind"] == "fc"
            else {"kind", "in_channels", "filters", "kernel"}
        )
        assert set(inputs) == expected
        seen.add(inputs["kind"])
    assert seen == {"fc", "conv"}


def test_the_same_seed_gives_the_same_exercise(client: TestClient) -> None:
    first = client.get("/api/exercises/conv-output-value", params={"seed": 123}).json()
    again = client.get("/api/exercises/conv-output-value", params={"seed": 123}).json()
    other = client.get("/api/exercises/conv-output-value", params={"seed": 124}).json()
    assert first == again
    assert first["inputs"] != other["inputs"]


def test_get_without_a_seed_draws_one_that_the_check_accepts(client: TestClient) -> None:
    drawn = client.get("/api/exercises/receptive-field").json()
    side = 1 + drawn["inputs"]["layers"] * (drawn["inputs"]["kernel"] - 1)
    verdict = client.post(
        "/api/exercises/receptive-field/check", json={"seed": drawn["seed"], "answer": str(side)}
    ).json()
    assert verdict["correct"] is True


def test_check_a_right_answer(client: TestClient) -> None:
    response = client.post("/api/exercises/receptive-field/check", json={"seed": 1, "answer": "9"})
    assert response.status_code == 200
    assert response.json() == {
        "correct": True,
        "expected": "9",
        "expected_value": 9,
        "explanation": "Each layer of stride 1 widens the field by k − 1 = 2 pixels: "
        "R_L = 1 + L(k − 1) = 1 + 4·(3 − 1) = 9, a 9×9 patch of the input.",
        "hint": None,
        "mistake": None,
        "options": None,
    }


@pytest.mark.parametrize("text", ["9", "9.0", "9x9", "9 × 9", "9 by 9", " 9 "])
def test_check_accepts_equivalent_forms(client: TestClient, text: str) -> None:
    verdict = client.post(
        "/api/exercises/receptive-field/check", json={"seed": 1, "answer": text}
    ).json()
    assert verdict["correct"] is True


def test_check_a_typical_mistake_gets_its_hint(client: TestClient) -> None:
    verdict = client.post(
        "/api/exercises/receptive-field/check", json={"seed": 1, "answer": "12"}
    ).json()
    assert verdict["correct"] is False
    assert verdict["expected"] == "9"
    assert verdict["mistake"] == "used-k-not-k-minus-1"
    assert verdict["hint"] == (
        "Each layer adds k − 1 = 2 pixels, not k: the new window overlaps the old one by all "
        "but one pixel. Start from 1 and add k − 1 per layer."
    )


def test_parameter_count_forgot_bias_through_the_api(client: TestClient) -> None:
    # seed 1: 196 → 128, 25,216 parameters; without biases 25,088
    verdict = client.post(
        "/api/exercises/parameter-count/check", json={"seed": 1, "answer": "25,088"}
    ).json()
    assert (verdict["correct"], verdict["expected"]) == (False, "25216")
    assert verdict["hint"] == "You forgot the bias: each of the 128 output units adds one."


def test_unknown_id_is_a_404_naming_it(client: TestClient) -> None:
    for response in (
        client.get("/api/exercises/convolution", params={"seed": 1}),
        client.post("/api/exercises/convolution/check", json={"seed": 1, "answer": "3"}),
    ):
        assert response.status_code == 404
        assert response.json() == {
            "detail": "no exercise called 'convolution'; GET /api/exercises lists them"
        }


@pytest.mark.parametrize("seed", ["abc", "-1", "4294967296", "1.5", "", "99999999999999999999"])
def test_bad_seed_in_the_query_is_a_422(client: TestClient, seed: str) -> None:
    response = client.get("/api/exercises/output-size", params={"seed": seed})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"type": "seed", "loc": ["query", "seed"], "msg": SEED_MESSAGE, "input": seed}]
    }


@pytest.mark.parametrize("seed", ["7", 7.5, True, -1, 2**32, None])
def test_bad_seed_in_the_body_is_a_422(client: TestClient, seed: object) -> None:
    response = client.post("/api/exercises/output-size/check", json={"seed": seed, "answer": "3"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"type": "seed", "loc": ["body", "seed"], "msg": SEED_MESSAGE, "input": seed}]
    }


def test_answer_that_is_not_a_string_is_a_422(client: TestClient) -> None:
    response = client.post("/api/exercises/output-size/check", json={"seed": 1, "answer": 3})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == (
        "answer must be a string (the text the student typed)"
    )


def test_blank_answer_is_a_422(client: TestClient) -> None:
    response = client.post("/api/exercises/output-size/check", json={"seed": 1, "answer": "  "})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "answer is empty"


def test_unknown_field_is_a_422(client: TestClient) -> None:
    response = client.post(
        "/api/exercises/output-size/check", json={"seed": 1, "answer": "3", "hint": True}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "Extra inputs are not permitted"


def test_missing_answer_is_a_422(client: TestClient) -> None:
    response = client.post("/api/exercises/output-size/check", json={"seed": 1})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "answer"]
    assert response.json()["detail"][0]["msg"] == "Field required"


def test_unreadable_answer_is_a_422_saying_what_was_expected(client: TestClient) -> None:
    response = client.post(
        "/api/exercises/output-size/check", json={"seed": 1, "answer": "about ten"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "answer_unreadable",
                "loc": ["body", "answer"],
                "msg": "answer: expected a size such as 7, 7x7 or 7 × 7, got 'about ten'",
                "input": "about ten",
            }
        ]
    }


def test_unreadable_answer_has_the_same_form_as_the_other_answer_errors(
    client: TestClient,
) -> None:
    unreadable = client.post("/api/exercises/pool-shift/check", json={"seed": 3, "answer": "1,x"})
    blank = client.post("/api/exercises/pool-shift/check", json={"seed": 3, "answer": " "})
    assert unreadable.status_code == blank.status_code == 422
    for body in (unreadable.json(), blank.json()):
        assert [e["loc"] for e in body["detail"]] == [["body", "answer"]]
    assert unreadable.json()["detail"][0]["msg"].startswith("answer: expected ")


def test_a_long_unreadable_answer_is_echoed_shortened(client: TestClient) -> None:
    response = client.post(
        "/api/exercises/receptive-field/check", json={"seed": 1, "answer": "x" * 200}
    )
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "answer"]
    assert len(error["input"]) == 200 and error["input"].endswith("x…")  # the app's echo limit


def test_answer_over_the_default_limit_is_a_422(client: TestClient) -> None:
    response = client.post(
        "/api/exercises/output-size/check", json={"seed": 1, "answer": "9" * 201}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "answer is longer than 200 characters"
