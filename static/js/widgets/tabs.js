// Tabs after the WAI-ARIA Authoring Practices "tabs with automatic activation": one tab stop
// for the list, arrow keys / Home / End move between tabs and select them. The tabs are
// <button role="tab" data-value="..."> inside a role="tablist"; every tab controls one shared
// tab panel, whose aria-labelledby follows the selected tab. Events: "select" (read `.value`).

/** A tab list over one panel. */
export class Tabs extends EventTarget {
  /**
   * @param {HTMLElement} list the role="tablist" element
   * @param {HTMLElement} panel the role="tabpanel" element
   */
  constructor(list, panel) {
    super();
    this.list = list;
    this.panel = panel;
    this.tabs = [...list.querySelectorAll('[role="tab"]')];
    if (this.tabs.length === 0) throw new Error("Tabs: the tab list has no role=tab elements");
    this.value = this.tabs[0].dataset.value;
    for (const tab of this.tabs) {
      tab.addEventListener("click", () => this.#choose(tab));
      tab.addEventListener("keydown", (event) => this.#key(event, tab));
    }
  }

  /** Select a tab by value without an event (e.g. restoring the URL state). */
  select(value) {
    const tab = this.tabs.find((t) => t.dataset.value === value) ?? this.tabs[0];
    this.value = tab.dataset.value;
    for (const t of this.tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
    }
    this.panel.setAttribute("aria-labelledby", tab.id);
  }

  #choose(tab) {
    if (tab.dataset.value === this.value) return;
    this.select(tab.dataset.value);
    this.dispatchEvent(new Event("select"));
  }

  #key(event, tab) {
    const i = this.tabs.indexOf(tab);
    const n = this.tabs.length;
    const target = { ArrowRight: (i + 1) % n, ArrowLeft: (i - 1 + n) % n, Home: 0, End: n - 1 }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    this.tabs[target].focus();
    this.#choose(this.tabs[target]);
  }
}
