// A quiet notice for the whole site: "busy, retrying…" while a request waits to retry after the
// server's 503 (static/js/api.js), gone once the server answers again. Loaded by base.html; it
// shares the one api.js module instance with the page's own module.

import { apiStatus } from "./api.js";

const notice = document.getElementById("api-status");
if (notice) {
  let hide = null;
  apiStatus.addEventListener("busy", () => {
    clearTimeout(hide);
    notice.textContent = "Server busy, retrying…";
    notice.dataset.state = "busy";
  });
  apiStatus.addEventListener("recovered", (event) => {
    notice.textContent = `Back: answered after ${event.detail.retries} ${event.detail.retries === 1 ? "retry" : "retries"}.`;
    notice.dataset.state = "recovered";
    clearTimeout(hide);
    hide = setTimeout(() => {
      notice.textContent = "";
      delete notice.dataset.state;
    }, 2500);
  });
  apiStatus.addEventListener("idle", () => {
    clearTimeout(hide);
    hide = setTimeout(() => {
      notice.textContent = "";
      delete notice.dataset.state;
    }, 800);
  });
  apiStatus.addEventListener("gave-up", () => {
    clearTimeout(hide);
    notice.textContent = "Server still busy; the next change will try again.";
    notice.dataset.state = "gave-up";
  });
}
