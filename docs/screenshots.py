"""Take the README's screenshots from a running server, in headless Chromium.

    convlab serve --port 8000 &
    python docs/screenshots.py --url http://127.0.0.1:8000

Writes, at 1400×1000 unless said otherwise:
  docs/screenshot-convolution.png  the Convolution page, Y₁₁ explained (first screen)
  docs/screenshot-matrix.png       the same X and K as the matrix M, on the same weight colours
  docs/screenshot-backward.png     the Backward lesson, ∂L/∂X₂₂ term by term and the full
                                   convolution view (from the lesson's heading down)
  docs/screenshot-mnist.png        the MNIST page with the sample 3 drawn (first screen)
  docs/screenshot-experiments.png  the Experiments page: the shipped sweep and a small run
                                   (N = 300, 4 epochs, about 10 s of CPU) trained from the page
  docs/screenshot-phone.png        the MNIST page on a 390×844 phone, its first two screens
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

DOCS = Path(__file__).resolve().parent


def settle(page: Page, ms: int = 400) -> None:
    """Wait until the page's requests are answered, then a little for the last repaint."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(ms)


def from_heading(page: Page, height: int) -> dict:
    """A clip of the whole page (page coordinates) from just above its h1 down `height` px."""
    top = (
        page.evaluate(
            "document.querySelector('main h1').getBoundingClientRect().top + window.scrollY"
        )
        - 12
    )
    return {"x": 0, "y": top, "width": 1400, "height": height}


def convolution(page: Page) -> None:
    page.goto("/convolution")
    settle(page)
    page.locator("#output-grid .cell").first.hover()
    page.locator("#explain-text").filter(has_text="Y₁₁").wait_for()
    page.screenshot(path=DOCS / "screenshot-convolution.png")


def matrix(page: Page) -> None:
    page.goto("/matrix")
    page.locator("#matrix-check").filter(has_text="Check").wait_for()
    settle(page)
    page.screenshot(
        path=DOCS / "screenshot-matrix.png", full_page=True, clip=from_heading(page, 1000)
    )


def backward(page: Page) -> None:
    page.goto("/backward")
    page.locator("#bw-dx .cell[title]").first.wait_for()
    page.locator("#bw-full").check()
    settle(page)
    page.locator('#bw-dx .cell[data-row="1"][data-col="1"]').hover()
    page.locator("#bw-explain").filter(has_text="X₂₂").wait_for()
    page.wait_for_timeout(300)
    page.screenshot(
        path=DOCS / "screenshot-backward.png", full_page=True, clip=from_heading(page, 1430)
    )


def mnist(page: Page) -> None:
    page.goto("/mnist")
    settle(page)
    page.get_by_role("button", name="Draw the sample").click()
    page.locator("#prediction[data-label]").wait_for()
    settle(page, 600)
    page.screenshot(path=DOCS / "screenshot-mnist.png")


def experiments(page: Page) -> None:
    page.goto("/experiments")
    settle(page)
    page.locator("#cfg-train-size").fill("300")
    page.locator("#cfg-epochs").fill("4")
    page.get_by_label("CNN", exact=True).first.check()
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Done", exact=False).first.wait_for(timeout=120_000)
    settle(page, 600)
    page.screenshot(
        path=DOCS / "screenshot-experiments.png",
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1400, "height": 1420},
    )


def phone(browser, url: str) -> None:
    context = browser.new_context(
        base_url=url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.goto("/mnist")
    settle(page)
    page.get_by_role("button", name="Draw the sample").click()
    page.locator("#prediction[data-label]").wait_for()
    settle(page, 600)
    page.screenshot(
        path=DOCS / "screenshot-phone.png",
        clip={"x": 0, "y": 0, "width": 390, "height": 1500},
        full_page=True,
    )
    context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"]
        )
        desktop = browser.new_context(base_url=args.url, viewport={"width": 1400, "height": 1000})
        page = desktop.new_page()
        for take in (convolution, matrix, backward, mnist, experiments):
            take(page)
        desktop.close()
        phone(browser, args.url)
        browser.close()


if __name__ == "__main__":
    main()
