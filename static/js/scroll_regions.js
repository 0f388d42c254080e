// Wide content that scrolls inside its own box (tables, grids, the matrix on a phone) must be
// reachable by keyboard: whenever such a box actually overflows, it becomes a focusable, named
// region (arrow keys then scroll it); when it fits again it leaves the tab order. Loaded by
// base.html for every page, so tables that later pages add are covered too.

const BOXES = "main table, main .grid-wrap, main .scroll-x, main .matrix-scroll, main .fmap-grid, main figure";

/** @param {HTMLElement} box */
function update(box) {
  const scrolls = box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== "visible";
  if (scrolls && !box.hasAttribute("tabindex")) {
    box.tabIndex = 0;
    box.dataset.scrollRegion = "";
    if (!box.getAttribute("role") && box.tagName !== "TABLE") box.setAttribute("role", "region");
    if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
      const heading = box.closest("section")?.querySelector("h2, h3");
      box.setAttribute("aria-label", `${heading ? heading.textContent.trim() : "Wide content"} (scrolls sideways)`);
    }
  } else if (!scrolls && "scrollRegion" in box.dataset) {
    box.removeAttribute("tabindex");
    delete box.dataset.scrollRegion;
  }
}

let pending = false;
function scan() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    for (const box of document.querySelectorAll(BOXES)) update(/** @type {HTMLElement} */ (box));
  });
}

const main = document.querySelector("main");
if (main) {
  new MutationObserver(scan).observe(main, { childList: true, subtree: true });
  new ResizeObserver(scan).observe(main);
  scan();
}
