"""The MNIST CNN page (Q2, Q6) in a real Chromium: drawing, live feature maps, kernel edits,
shifts, saliency, state restored on reload, and the latency figure (edit → repainted maps)."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from tests.helpers.browser import shot

# a canvas's pixels as a list of RGBA bytes, to compare pictures before and after an edit
PIXELS = "c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)"


def _stroke(page, points: list[tuple[float, float]]) -> None:
    """Draw one stroke with the mouse through points given as fractions of the pad."""
    box = page.locator("#pad").bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=12)
    page.mouse.up()


def _draw_a_one(page) -> None:
    """A vertical stroke; returns once the maps of the finished stroke are painted."""
    page.locator("#pad").scroll_into_view_if_needed()
    done = len(_measures(page, "convlab:stroke-end→maps"))
    _stroke(page, [(0.5, 0.15), (0.5, 0.85)])
    _wait_for_measures(page, "convlab:stroke-end→maps", done + 1)
    expect(page.locator("#prediction")).to_have_attribute("data-label", "1")


def _wait_until_pixels(page, selector: str, pixels: list[int], *, same: bool) -> None:
    """Wait until the canvas at `selector` shows (same=True) or no longer shows `pixels`."""
    page.wait_for_function(
        f"""([selector, want, same]) => {{
          const now = JSON.stringify(({PIXELS})(document.querySelector(selector)));
          return (now === want) === same;
        }}""",
        arg=[selector, json.dumps(pixels, separators=(",", ":")), same],
    )


def _measures(page, name: str) -> list[float]:
    return page.evaluate(
        "name => performance.getEntriesByName(name, 'measure').map(m => m.duration)", name
    )


def _wait_for_measures(page, name: str, count: int) -> None:
    page.wait_for_function(
        "([name, n]) => performance.getEntriesByName(name, 'measure').length >= n",
        arg=[name, count],
    )


def _conv1(channel: int) -> str:
    """CSS selector of the canvas of one conv1 feature map."""
    return f'.fmap-layer[data-layer="conv1"] canvas[data-channel="{channel}"]'


def _conv1_map(page, channel: int) -> list[int]:
    return page.locator(_conv1(channel)).evaluate(PIXELS)


def test_empty_page_loads_and_invites_drawing(page):
    page.goto("/mnist")
    expect(page.locator("#prediction")).to_have_text("Draw a digit to start.")
    expect(page.locator("#filters .filter-button")).to_have_count(16)
    expect(page.locator("#model-note")).to_contain_text("CNN:")
    shot(page, "mnist-empty")


def test_vertical_stroke_reads_as_one_with_feature_maps(page):
    page.goto("/mnist")
    _draw_a_one(page)
    expect(page.locator("#prediction")).to_contain_text("The CNN reads 1")
    # every layer's maps are shown: conv1 has 16 channels of 28×28, pool3 32 of 3×3
    layers = page.locator(".fmap-layer")
    names = layers.evaluate_all("els => els.map(e => e.dataset.layer)")
    assert names == [
        "conv1",
        "relu1",
        "pool1",
        "conv2",
        "relu2",
        "pool2",
        "conv3",
        "relu3",
        "pool3",
        "fc1",
        "relu4",
        "fc2",
    ], names
    conv1 = page.locator('.fmap-layer[data-layer="conv1"] canvas')
    expect(conv1).to_have_count(16)
    assert conv1.first.evaluate("c => [c.width, c.height]") == [28, 28]
    expect(page.locator('.fmap-layer[data-layer="pool3"] canvas')).to_have_count(32)
    # the maps are not blank: conv1 responds to the stroke
    assert len(set(_conv1_map(page, 0))) > 8
    # the bar chart highlights the 1
    expect(page.locator("#probabilities svg .bar.best .bar-label")).to_have_text("1")
    # the preprocessing steps the server ran are shown
    expect(page.locator("#steps img")).to_have_count(4)
    shot(page, "mnist-one")


def test_editing_a_first_layer_kernel_changes_its_maps(page):
    page.goto("/mnist")
    _draw_a_one(page)
    before = _conv1_map(page, 3)
    other_before = _conv1_map(page, 4)
    page.get_by_role("button", name="Edit conv1 filter 3").click()
    expect(page.locator("#kernel-title")).to_contain_text("Filter 3 of conv1")
    page.get_by_role("button", name="Sobel x").click()
    expect(
        page.locator('.fmap-layer[data-layer="conv1"] canvas[data-channel="3"].marked')
    ).to_have_count(1)
    _wait_until_pixels(page, _conv1(3), before, same=False)
    assert _conv1_map(page, 3) != before
    # the other learned kernels are untouched: channel 4's values are the same (colours may
    # rescale with the layer's range, so compare its pixels' ordering, not the bytes)
    after_other = _conv1_map(page, 4)
    assert _ranks(after_other) == _ranks(other_before)
    # typing one value into the editor sends it too
    cell = page.locator("#kernel-editor input.cell").first
    cell.fill("3")
    cell.press("Tab")
    expect(page.locator("#kernel-editor .error-message")).to_have_text("")
    shot(page, "mnist-kernel-edit")
    # reset restores the learned kernel and the maps
    page.get_by_role("button", name="learned", exact=True).click()
    expect(page.locator('.fmap-layer[data-layer="conv1"] canvas.marked')).to_have_count(0)
    _wait_until_pixels(page, _conv1(3), before, same=True)


def _ranks(pixels: list[int]) -> list[int]:
    """Red channel of each pixel, reduced to its order (a monotone recolouring keeps it)."""
    reds = pixels[0::4]
    order = sorted(set(reds))
    return [order.index(r) for r in reds]


def test_shift_moves_the_input_and_plots_both_models(page):
    page.goto("/mnist")
    _draw_a_one(page)
    seen = page.locator("#seen canvas")
    before = seen.evaluate(PIXELS)
    page.get_by_role("button", name="Shift right").click()
    expect(page.locator("#shift-value")).to_have_text("dx 1, dy 0")
    _wait_until_pixels(page, "#seen canvas", before, same=False)
    after = seen.evaluate(PIXELS)
    # 28×28 RGBA: every row of the image moved one pixel to the right
    for row in range(28):
        old = before[row * 112 : (row + 1) * 112]
        new = after[row * 112 : (row + 1) * 112]
        assert new[4:] == old[:-4], f"row {row} did not move right by one pixel"
    polylines = page.locator("#scan-plot svg .series polyline")
    expect(polylines).to_have_count(2)
    points = polylines.first.get_attribute("points").split()
    assert len(points) == 17  # dx from −8 to 8
    expect(page.locator("#scan-note")).to_contain_text("At the current shift: CNN")
    shot(page, "mnist-shift")
    # the arrow keys shift too, while the shift pad has the focus
    page.get_by_role("button", name="Shift right").press("ArrowLeft")
    expect(page.locator("#shift-value")).to_have_text("dx 0, dy 0")


def test_saliency_and_deep_filters_on_request(page):
    page.goto("/mnist")
    _draw_a_one(page)
    page.get_by_role("button", name="Compute saliency").click()
    expect(page.locator("#saliency canvas")).to_have_count(2)
    expect(page.locator("#saliency-note")).to_contain_text("gradient of the score of 1")
    page.get_by_role("button", name="Show conv2 and conv3 filters").click()
    expect(page.locator("#deep-filters figure")).to_have_count(2)
    expect(page.locator("#deep-filters figcaption").first).to_contain_text("conv2: 32 filters")
    shot(page, "mnist-saliency")


def test_reload_restores_drawing_kernel_edit_and_shift(page):
    page.goto("/mnist")
    _draw_a_one(page)
    unshifted = page.locator("#seen canvas").evaluate(PIXELS)
    page.get_by_role("button", name="Edit conv1 filter 2").click()
    page.get_by_role("button", name="Laplacian").click()
    page.get_by_role("button", name="Shift down").click()
    expect(page.locator("#shift-value")).to_have_text("dx 0, dy 1")
    expect(page.locator("#prediction")).to_have_attribute("data-label", "1")
    # the readout and the label are the unshifted drawing's too, and "networkidle" was reached
    # at load: wait until the answer to the shift (which carries the edited kernel) is painted
    _wait_until_pixels(page, "#seen canvas", unshifted, same=False)
    maps = _conv1_map(page, 2)
    prediction = page.locator("#prediction").inner_text()
    page.reload()
    expect(page.locator("#shift-value")).to_have_text("dx 0, dy 1")
    expect(page.locator("#prediction")).to_have_text(prediction)
    expect(page.locator("#kernel-title")).to_contain_text("Filter 2 of conv1")
    expect(
        page.locator('.fmap-layer[data-layer="conv1"] canvas[data-channel="2"].marked')
    ).to_have_count(1)
    page.wait_for_load_state("networkidle")
    assert _conv1_map(page, 2) == maps
    # the editor shows the Laplacian's centre
    expect(page.locator("#kernel-editor input.cell").nth(12)).to_have_value("-4")


def test_undo_and_clear(page):
    page.goto("/mnist")
    _draw_a_one(page)
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#prediction")).to_have_text("Draw a digit to start.")
    _draw_a_one(page)
    page.get_by_role("button", name="Clear").click()
    expect(page.locator("#prediction")).to_have_text("Draw a digit to start.")
    expect(page.locator(".fmap-layer")).to_have_count(0)


def test_touch_drawing_on_a_tablet(tablet_page):
    pg = tablet_page
    pg.goto("/mnist")
    pad = pg.locator("#pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    scroll_before = pg.evaluate("window.scrollY")
    cdp = pg.context.new_cdp_session(pg)
    x = box["x"] + box["width"] / 2
    ys = [box["y"] + box["height"] * (0.15 + 0.7 * i / 20) for i in range(21)]
    cdp.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": ys[0]}]}
    )
    for y in ys[1:]:
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    expect(pg.locator("#prediction")).to_have_attribute("data-label", "1")
    # the finger drew instead of scrolling the page (touch-action: none on the pad)
    assert pg.evaluate("window.scrollY") == scroll_before
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 1024, f"the page scrolls sideways at 1024 px ({width} px wide)"
    shot(pg, "mnist-1024-touch")


def test_stroke_text_round_trips_and_rejects_garbage(page):
    page.goto("/mnist")
    result = page.evaluate(
        """async () => {
          const { encodeStrokes, decodeStrokes } = await import("/static/js/strokes.js");
          const strokes = [{ brush: 20, points: [[0, 0], [279, 140], [35, 1295]] },
                           { brush: 6, points: [[7, 8]] }];
          const text = encodeStrokes(strokes);
          let error = null;
          try { decodeStrokes("b20:xyz"); } catch (e) { error = e.message; }
          return { text, back: decodeStrokes(text), error };
        }"""
    )
    # two base-36 digits per coordinate: 279 = "7r", 140 = "3w", 35 = "0z", 1295 = "zz"
    assert result["text"] == "b20:00007r3w0zzz;b6:0708"
    assert result["back"] == [
        {"brush": 20, "points": [[0, 0], [279, 140], [35, 1295]]},
        {"brush": 6, "points": [[7, 8]]},
    ]
    assert result["error"] == "stroke 1 is not in the form b<brush>:<coordinates>"


def test_activation_codes_decode_to_min_plus_q_times_scale(page):
    page.goto("/mnist")
    values = page.evaluate(
        """async () => {
          const { decodeLayer, channel } = await import("/static/js/activations.js");
          // codes 0, 1, 255, 128 as base64, for a (2, 1, 2) layer with min -1 and scale 0.5
          const layer = decodeLayer({ name: "conv1", kind: "conv", shape: [2, 1, 2], min: -1,
            max: 126.5, scale: 0.5, data: btoa(String.fromCharCode(0, 1, 255, 128)) });
          let error = null;
          try { decodeLayer({ ...layer, shape: [3, 1, 2], data: btoa("ab"), scale: 1 }); }
          catch (e) { error = e.message; }
          return { all: Array.from(layer.values), second: Array.from(channel(layer, 1)), error };
        }"""
    )
    assert values["all"] == [-1, -0.5, 126.5, 63]
    assert values["second"] == [126.5, 63]
    assert values["error"] == "layer conv1: 2 bytes for shape 3×1×2 (6 expected)"


def test_a_shared_link_opens_with_the_drawing(browser, base_url, page):
    page.goto("/mnist")
    _draw_a_one(page)
    link = page.url
    assert "strokes" in link.split("#", 1)[1].replace("%22", '"')
    prediction = page.locator("#prediction").inner_text()
    # another browser: no localStorage, only the link
    other = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=base_url)
    try:
        pg = other.new_page()
        pg.goto(link)
        expect(pg.locator("#prediction")).to_have_attribute("data-label", "1")
        expect(pg.locator("#prediction")).to_have_text(prediction)
    finally:
        other.close()


def test_the_shift_reset_reads_as_a_reset_and_the_readout_as_the_shift(page):
    page.goto("/mnist")
    reset = page.locator("#shift-pad .reset")
    expect(reset).to_have_text("⟲")
    expect(reset).to_have_attribute("title", "Reset: back to no shift (dx 0, dy 0)")
    page.get_by_role("button", name="Shift left").click()
    expect(page.locator("#shift-value")).to_have_text("dx −1, dy 0")  # a minus, not a hyphen
    page.get_by_role("button", name="Reset: back to no shift").click()
    expect(page.locator("#shift-value")).to_have_text("dx 0, dy 0")


def test_on_a_phone_the_reading_sits_right_under_the_pad(phone_page):
    page = phone_page
    page.goto("/mnist")
    page.locator("#sample-draw").click()
    expect(page.locator("#prediction")).to_have_attribute("data-label", "3")
    readout = page.locator("#pad-readout")
    expect(readout).to_have_text(page.locator("#prediction").inner_text())
    page.locator("#pad").evaluate("c => c.scrollIntoView({block: 'start'})")
    expect(readout).to_be_in_viewport()
    pad = page.locator("#pad").bounding_box()
    box = readout.bounding_box()
    assert 0 <= box["y"] - (pad["y"] + pad["height"]) < 40, (pad, box)
    shot(page, "mnist-phone-reading")


def test_on_a_desktop_the_reading_is_only_in_its_panel(page):
    page.goto("/mnist")
    page.locator("#sample-draw").click()
    expect(page.locator("#prediction")).to_have_attribute("data-label", "3")
    expect(page.locator("#pad-readout")).to_be_hidden()
