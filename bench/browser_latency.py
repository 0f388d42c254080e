"""Latency the student sees, from the pages' own performance marks, in headless Chromium:

- convolution page: a kernel edit → the output repainted ("conv-edit-to-paint", includes the
  120 ms debounce) and request → repaint ("conv-request-to-paint");
- MNIST page: stroke end → feature maps repainted, and a conv1 kernel preset → maps repainted.

    .venv/bin/python bench/browser_latency.py

(These figures were printed by two browser tests; a figure that depends on the machine is a
benchmark, not a test.)
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from serving import serving  # noqa: E402  (bench/serving.py, beside this script)

CHROMIUM = "/usr/bin/chromium"


def _measures(page, name: str) -> list[float]:
    return page.evaluate(
        "name => performance.getEntriesByName(name, 'measure').map(m => m.duration)", name
    )


def _wait_for_entries(page, name: str, count: int) -> None:
    page.wait_for_function(
        "([name, n]) => performance.getEntriesByName(name).length >= n", arg=[name, count]
    )


def convolution(page, url: str) -> dict:
    page.goto(f"{url}/convolution")
    cell = page.locator('#kernel-grid input[data-row="1"][data-col="0"]')
    cell.wait_for()
    page.wait_for_timeout(500)
    edit, request = [], []
    for value in ["2", "3", "4", "5", "6", "7", "8", "9", "1", "2", "3"]:
        count = page.evaluate("performance.getEntriesByName('conv-edit-to-paint').length")
        cell.fill(value)
        _wait_for_entries(page, "conv-edit-to-paint", count + 1)
        edit.append(
            page.evaluate("performance.getEntriesByName('conv-edit-to-paint').at(-1).duration")
        )
        request.append(
            page.evaluate("performance.getEntriesByName('conv-request-to-paint').at(-1).duration")
        )
    return {"edit_to_paint_ms": statistics.median(edit),
            "request_to_paint_ms": statistics.median(request), "n": len(edit)}  # fmt: skip


def _stroke(page, points: list[tuple[float, float]]) -> None:
    box = page.locator("#pad").bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=12)
    page.mouse.up()


def mnist(page, url: str) -> dict:
    page.goto(f"{url}/mnist")
    page.locator("#pad").scroll_into_view_if_needed()
    _stroke(page, [(0.5, 0.15), (0.5, 0.85)])
    _wait_for_entries(page, "convlab:stroke-end→maps", 1)
    for i in range(6):  # small ticks across the top of the 1
        x = 0.35 + 0.05 * i
        _stroke(page, [(x, 0.9), (x + 0.03, 0.92)])
        _wait_for_entries(page, "convlab:stroke-end→maps", i + 2)
    page.get_by_role("button", name="Edit conv1 filter 0").click()
    for i, name in enumerate(
        ["Sobel x", "Sobel y", "Laplacian", "Identity", "Box blur", "Sharpen"]
    ):
        page.get_by_role("button", name=name, exact=True).click()
        _wait_for_entries(page, "convlab:kernel-edit→maps", i + 1)
    stroke = _measures(page, "convlab:stroke-end→maps")
    kernel = _measures(page, "convlab:kernel-edit→maps")
    return {
        "stroke_end_to_maps_ms": {"median": statistics.median(stroke), "max": max(stroke)},
        "kernel_edit_to_maps_ms": {"median": statistics.median(kernel), "max": max(kernel)},
    }


def main() -> None:
    with serving(ROOT, {}) as (url, _pid), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        print("convolution page:", json.dumps(convolution(page, url)))
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        print("MNIST page:", json.dumps(mnist(page, url)))
        browser.close()


if __name__ == "__main__":
    main()
