// Loaded by base.html on every page. When this browser has joined a class session (on /join),
// lesson pages show a small banner ("In class session ABC123 · leave") and report each
// exercise check (the `convlab:exercise-outcome` event: {exercise, seed, outcome}) to the
// session's progress route, so the teacher's progress board counts it. Nothing happens in a
// browser that has not joined, and /join itself shows the session in its own way.

import { ApiError } from "./api.js";
import { el } from "./dom.js";
import { SessionClient } from "./session_api.js";
import { PARTICIPANT_KEY, outcomeBody, readStored, writeStored } from "./session_state.js";

function forget(banner) {
  writeStored(window.localStorage, PARTICIPANT_KEY, null);
  banner?.remove();
}

function showBanner(code) {
  const leave = el("button", { type: "button", className: "link-button", textContent: "leave" });
  const banner = el("aside", { className: "session-banner", "aria-label": "Class session" },
    el("a", { href: `/join/${encodeURIComponent(code)}`, textContent: `In class session ${code}` }), " · ", leave);
  leave.addEventListener("click", () => forget(banner));
  document.querySelector("main")?.prepend(banner);
  return banner;
}

function start() {
  if (window.location.pathname === "/join" || window.location.pathname.startsWith("/join/")) return;
  if (window.location.pathname === "/teach") return;
  const stored = readStored(window.localStorage, PARTICIPANT_KEY);
  if (!stored) return;
  const banner = showBanner(stored.code);
  const client = new SessionClient(stored.code, stored.token);
  document.addEventListener("convlab:exercise-outcome", async (event) => {
    const body = outcomeBody(event.detail);
    if (!body || !banner.isConnected) return;
    try {
      await client.reportProgress(body);
    } catch (error) {
      // the session ended or expired: stop showing it; other failures only lose this count
      if (error instanceof ApiError && [401, 403, 404].includes(error.status)) forget(banner);
    }
  });
}

start();
