"""POST /api/shift and /api/equivariance: values and exact error texts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers.api import error

SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]


def edge_image() -> list[list[int]]:
    """An 8×8 image with a vertical stroke in column 3."""
    return [[1 if (1 <= i <= 5 and j == 3) else 0 for j in range(8)] for i in range(8)]


def test_shift_right_fills_the_left_column_with_zeros(client: TestClient) -> None:
    body = {"image": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "dx": 1, "dy": 0}
    assert client.post("/api/shift", json=body).json() == {
        "shifted": [[0.0, 1.0, 2.0], [0.0, 4.0, 5.0], [0.0, 7.0, 8.0]],
        "dx": 1,
        "dy": 0,
    }


def test_shift_up_fills_the_bottom_row_with_zeros(client: TestClient) -> None:
    body = {"image": [[1, 2], [3, 4]], "dy": -1}
    assert client.post("/api/shift", json=body).json()["shifted"] == [[3.0, 4.0], [0.0, 0.0]]


def test_shift_multichannel_moves_every_channel(client: TestClient) -> None:
    body = {"image": [[[1, 2]], [[3, 4]]], "dx": 1}
    assert client.post("/api/shift", json=body).json()["shifted"] == [[[0.0, 1.0]], [[0.0, 3.0]]]


def test_shift_beyond_the_image_leaves_zeros(client: TestClient) -> None:
    body = {"image": [[1, 2], [3, 4]], "dx": 5}
    assert client.post("/api/shift", json=body).json()["shifted"] == [[0.0, 0.0], [0.0, 0.0]]


def test_shift_by_a_fraction_is_422(client: TestClient) -> None:
    response = client.post("/api/shift", json={"image": [[1]], "dx": 0.5})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "dx"]


def test_equivariance_interior_difference_is_zero(client: TestClient) -> None:
    body = {"image": edge_image(), "kernel": SOBEL_X, "dx": 1, "dy": 0, "pool": None}
    report = client.post("/api/equivariance", json=body).json()
    assert report["max_abs_diff_interior"] == 0.0
    assert report["interior_cells"] == 6 * 5
    assert report["output_shift"] == [1, 0]
    assert report["pool"] is None


def test_equivariance_shows_the_maps_and_their_difference(client: TestClient) -> None:
    body = {"image": edge_image(), "kernel": SOBEL_X, "dx": 1, "dy": 0, "pool": None}
    report = client.post("/api/equivariance", json=body).json()
    assert report["conv_output"][2] == [0.0, 4.0, 0.0, -4.0, 0.0, 0.0]
    assert report["conv_of_shifted"][2] == [0.0, 0.0, 4.0, 0.0, -4.0, 0.0]
    assert report["shifted_conv"][2] == [0.0, 0.0, 4.0, 0.0, -4.0, 0.0]
    assert report["difference"][2] == [0.0] * 6
    assert report["interior_mask"][0] == [False] + [True] * 5


def test_equivariance_border_difference_shows_up_in_the_total(client: TestClient) -> None:
    # the window of conv(shift(x)) at column 0 reads the zero fill and the moved stroke (1);
    # shift(conv(x)) puts zero fill there (0)
    image = [[1 if j == 0 else 0 for j in range(6)] for _ in range(6)]
    body = {"image": image, "kernel": [[1, 1]], "dx": 1, "pool": None}
    report = client.post("/api/equivariance", json=body).json()
    assert report["max_abs_diff_interior"] == 0.0
    assert report["max_abs_diff_total"] == 1.0
    assert [row[0] for row in report["difference"]] == [1.0] * 6
    assert [row[0] for row in report["interior_mask"]] == [False] * 6


def test_max_pooling_keeps_outputs_while_the_peak_stays_in_its_window(
    client: TestClient,
) -> None:
    image = [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    body = {"image": image, "kernel": [[1]], "dx": 1, "pool": {"mode": "max", "kernel_size": 2}}
    pool = client.post("/api/equivariance", json=body).json()["pool"]
    assert pool["unchanged"] == [[True, True], [True, True]]
    assert pool["unchanged_count"] == 4
    assert pool["argmax_before"][0][0] == [0, 0]
    assert pool["argmax_after"][0][0] == [0, 1]


def test_max_pooling_changes_when_the_peak_crosses_a_window_border(client: TestClient) -> None:
    image = [[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    body = {"image": image, "kernel": [[1]], "dx": 1}
    pool = client.post("/api/equivariance", json=body).json()["pool"]
    assert pool["pooled_before"] == [[1.0, 0.0], [0.0, 0.0]]
    assert pool["pooled_after"] == [[0.0, 1.0], [0.0, 0.0]]
    assert pool["changed_count"] == 2
    assert pool["formula"]["text"] == "⌊4/2⌋ × ⌊4/2⌋ = 2 × 2"


def test_avg_pooling_has_no_argmax(client: TestClient) -> None:
    body = {"image": edge_image(), "kernel": SOBEL_X, "pool": {"mode": "avg"}}
    pool = client.post("/api/equivariance", json=body).json()["pool"]
    assert pool["argmax_before"] is None and pool["mode"] == "avg"


def test_equivariance_shift_not_a_whole_number_of_strides_is_422(client: TestClient) -> None:
    body = {"image": edge_image(), "kernel": SOBEL_X, "stride": 2, "dx": 1}
    assert client.post("/api/equivariance", json=body).json() == {
        "detail": "with stride 2×2 the shift must be a whole number of strides (a strided "
        "convolution is equivariant only to such shifts), got dx = 1, dy = 0"
    }


def test_equivariance_multichannel_image_is_422(client: TestClient) -> None:
    body = {"image": [edge_image()], "kernel": SOBEL_X}
    assert error(client.post("/api/equivariance", json=body)) == (
        "must be a 2-D list (H×W), got a 3-D list"
    )


def test_equivariance_kernel_larger_than_image_is_422(client: TestClient) -> None:
    body = {"image": [[1, 2], [3, 4]], "kernel": SOBEL_X}
    assert client.post("/api/equivariance", json=body).json() == {
        "detail": "kernel 3×3 is larger than the padded input 2×2"
    }


def test_equivariance_pool_larger_than_the_conv_map_is_422(client: TestClient) -> None:
    body = {"image": [[1, 2, 3]] * 3, "kernel": SOBEL_X}
    assert client.post("/api/equivariance", json=body).json() == {
        "detail": "pooling window 2×2 is larger than the padded input 1×1"
    }


def test_infinite_shift_is_a_422_with_a_json_echo(client: TestClient) -> None:
    response = client.post(
        "/api/shift",
        content='{"image": [[1]], "dx": Infinity}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == "Infinity"


def test_documented_report_example_is_what_the_route_answers(client: TestClient) -> None:
    from app.api.schemas.common import EXAMPLES

    # a single bright pixel moved one column right, identity kernel, 2×2 max pooling
    [EXAMPLE_REQUEST] = EXAMPLES["EquivarianceRequest"]["examples"]
    shown = client.get("/openapi.json").json()["components"]["schemas"]["EquivarianceResponse"]
    answer = client.post("/api/equivariance", json=EXAMPLE_REQUEST).json()
    assert answer in shown["examples"]
    assert answer["pool"]["unchanged_count"] == 4  # the peak stays inside its pooling window


def test_documented_shift_example_is_what_the_route_answers(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    answer = client.post("/api/shift", json=schemas["ShiftRequest"]["example"]).json()
    assert answer == schemas["ShiftResponse"]["example"]
    assert answer["shifted"] == [[0.0, 1.0, 2.0], [0.0, 4.0, 5.0], [0.0, 7.0, 8.0]]


def test_blurmax_pooling_changes_gradually_when_the_peak_crosses_a_window_border(
    client: TestClient,
) -> None:
    image = [[0] * 8 for _ in range(8)]
    image[4][3] = 16  # max pooling moves this peak whole from one window to the next
    body = {"image": image, "kernel": [[1]], "dx": 1, "pool": {"mode": "blurmax"}}
    pool = client.post("/api/equivariance", json=body).json()["pool"]
    assert pool["mode"] == "blurmax"
    assert pool["pooled_before"][1:3] == [[0.0, 3.0, 1.0, 0.0], [0.0, 9.0, 3.0, 0.0]]
    assert pool["pooled_after"][1:3] == [[0.0, 1.0, 3.0, 0.0], [0.0, 3.0, 9.0, 0.0]]
    assert pool["changed_count"] == 4
    assert pool["argmax_before"] is None
    assert pool["formula"]["text"].endswith("= 4 × 4")


def test_blurmax_pooling_with_another_kernel_size_is_422(client: TestClient) -> None:
    body = {"image": edge_image(), "kernel": SOBEL_X, "pool": {"mode": "blurmax", "kernel_size": 3}}
    response = client.post("/api/equivariance", json=body)
    assert response.status_code == 422
    assert error(response) == (
        "blurmax has a fixed window (2×2 max at stride 1, 3×3 blur at stride 2); "
        "leave out kernel_size"
    )
