"""Take the README's screenshots from a running server, in headless Chromium.

    convlab serve --port 8000 &
    python docs/screenshots.py --url http://127.0.0.1:8000

Writes docs/screenshot-convolution.png (1400×1000, Y₁₁ explained), docs/screenshot-mnist.png
(1400×1000, the sample 3 drawn) and docs/screenshot-phone.png (the MNIST page on a 390×844
phone, the first two screens).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent


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
        page.goto("/convolution")
        page.wait_for_load_state("networkidle")
        page.locator("#output-grid .cell").first.hover()
        page.wait_for_timeout(300)
        page.screenshot(path=DOCS / "screenshot-convolution.png")

        page.goto("/mnist")
        page.wait_for_load_state("networkidle")
        page.get_by_role("button", name="Draw the sample").click()
        page.locator("#prediction[data-label]").wait_for()
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)
        page.screenshot(path=DOCS / "screenshot-mnist.png")

        phone = browser.new_context(
            base_url=args.url,
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        page = phone.new_page()
        page.goto("/mnist")
        page.wait_for_load_state("networkidle")
        page.get_by_role("button", name="Draw the sample").click()
        page.locator("#prediction[data-label]").wait_for()
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)
        page.screenshot(
            path=DOCS / "screenshot-phone.png",
            clip={"x": 0, "y": 0, "width": 390, "height": 1500},
            full_page=True,
        )
        browser.close()


if __name__ == "__main__":
    main()
