// A quiet notice for the whole site: "busy, retrying…" while a request waits to retry after the
// server's 503 (static/js/api.js), gone once the server answers again. Loaded by base.html; it
// shares the one api.js module instance with the page's own module.

import { apiStatus } from "./api.js";

const notice = document.getElementById("api-status");
if (notice) {
  let hide = null;
  /** Show `text` in the given state (until the next one), or clear the notice `after` ms from now. */
  const show = (state, text, after = null) => {
    clearTimeout(hide);
    if (text !== null) {
      notice.textContent = text;
      notice.dataset.state = state;
    }
    if (after !== null) {
      hide = setTimeout(() => {
        notice.textContent = "";
        delete notice.dataset.state;
      }, after);
    }
  };
  apiStatus.addEventListener("busy", () => show("busy", "Server busy, retrying…"));
  apiStatus.addEventListener("recovered", ({ detail: { retries } }) => {
    show("recovered", `Back: answered after ${retries} ${retries === 1 ? "retry" : "retries"}.`, 2500);
  });
  apiStatus.addEventListener("idle", () => show(null, null, 800));
  apiStatus.addEventListener("gave-up", () => show("gave-up", "Server still busy; the next change will try again."));
}
