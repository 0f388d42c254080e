// Parameters & regularization lesson (Q1, Q6a, Q6b): the dense-vs-conv parameter count
// (POST /api/parameters), the shipped models' ledger (GET /api/mnist/models) and L2-regularised
// gradient descent on a 2-D toy loss (POST /api/regularization/trajectory), drawn with the
// update decomposed into its shrink and data parts. Every number comes from the API.

import { getJSON, nameFields } from "../../api.js";
import { $, el, svgElement, tableRow, withSubscripts } from "../../dom.js";
import { formatCount, formatNumber } from "../../format.js";
import { Lab } from "../../lab.js";
import { loadState, saveState } from "../../url_state.js";
import { LinePlot } from "../../widgets/line_plot.js";
import { contourSegments, quadraticLevels } from "./contours.js";

// error messages name the fields as the page labels them ("n_in must be at least 1")
nameFields({
  "fc.in_features": "n_in",
  "fc.out_features": "H",
  "conv.in_channels": "C",
  "conv.filters": "F",
  "conv.kernel_size": "k",
  lambdas: "λ values",
  lr: "ε",
  steps: "steps",
  theta0: "θ₀",
});

const STORAGE_KEY = "convlab.parameters";
const DEFAULTS = {
  fc: [784, 100],
  conv: [1, 100, 5],
  lambdas: "0, 0.25, 1",
  lr: 0.1,
  steps: 100,
  theta0: [-1.5, 2.5],
  run: 1,
  t: 0,
  loss: null, // null: the lesson's toy loss; {hessian, theta_star}: one an exercise set
};
const n3 = (v) => formatNumber(v, { digits: 3 });
const point = (p) => `(${n3(p[0])}, ${n3(p[1])})`;

/** Validate a state read from the URL or storage; null rejects it. */
function cleanState(s) {
  const ints = (a, n) => Array.isArray(a) && a.length === n && a.every((v) => Number.isInteger(v) && v >= 1);
  const finite = (a) => Array.isArray(a) && a.length === 2 && a.every(Number.isFinite);
  if (!ints(s.fc, 2) || !ints(s.conv, 3) || typeof s.lambdas !== "string" || !finite(s.theta0)) return null;
  const okLoss = s.loss && Array.isArray(s.loss.hessian) && s.loss.hessian.length === 2 &&
    s.loss.hessian.every(finite) && finite(s.loss.theta_star);
  return { ...s, loss: okLoss ? { hessian: s.loss.hessian, theta_star: s.loss.theta_star } : null };
}

/** What a panel does with a failed request: its message, its figures faded, the named field's control marked. */
const panelError = (errorId, figuresId, controls, note = "") => (error) => {
  $(errorId).textContent = `${error.message}${note}`;
  $(figuresId).classList.add("stale");
  const field = Array.isArray(error.field) ? error.field.find((f) => f in controls) : null;
  if (field) $(controls[field]).setAttribute("aria-invalid", "true");
};

/**
 * λ values typed as "0, 0.25, 1".
 * @returns {{values: number[]} | {error: string}}
 */
function parseLambdas(text) {
  const parts = text.split(/[,;\s]+/).filter((p) => p.length > 0);
  if (parts.length === 0) return { error: "type at least one λ, e.g. 0, 0.25, 1" };
  const values = parts.map((p) => Number(p.replace("\u2212", "-")));
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) return { error: `λ "${parts[bad]}" is not a number` };
  return { values };
}

class ParametersPage {
  constructor() {
    this.state = loadState(STORAGE_KEY, DEFAULTS, cleanState).state;
    this.countLab = new Lab();
    this.regLab = new Lab();
    this.trajectory = null;
    this.plot = new LinePlot($("reg-plot"), {
      label: "Gradient descent on the toy loss for several λ",
      xLabel: "θ₁",
      yLabel: "θ₂",
      width: 440,
      height: 380,
      equalAspect: true,
      legend: "bottom-right",
    });

    [$("fc-in").value, $("fc-out").value] = this.state.fc.map(String);
    [$("conv-in").value, $("conv-filters").value, $("conv-k").value] = this.state.conv.map(String);
    $("reg-lambdas").value = this.state.lambdas;
    $("reg-lr").value = String(this.state.lr);
    $("reg-steps").value = String(this.state.steps);
    [$("reg-x0").value, $("reg-y0").value] = this.state.theta0.map(String);

    for (const id of ["fc-in", "fc-out", "conv-in", "conv-filters", "conv-k"]) {
      $(id).addEventListener("input", () => this.count());
    }
    for (const id of ["reg-lambdas", "reg-lr", "reg-steps", "reg-x0", "reg-y0"]) {
      $(id).addEventListener("input", () => this.descend());
    }
    $("reg-loss-reset").addEventListener("click", () => {
      this.state.loss = null;
      this.descend();
    });
    $("reg-run").addEventListener("change", () => {
      this.state.run = Number($("reg-run").value);
      this.#save();
      this.#drawTrajectory();
    });
    $("reg-step").addEventListener("input", () => {
      this.state.t = Number($("reg-step").value);
      this.#save();
      this.#drawTrajectory();
    });
  }

  /**
   * After a Your-turn check: parameter-count puts its sizes into the counter, which then shows
   * the count and its formula (the other side keeps its numbers); weight-decay-step starts the
   * descent at the exercise's θ with its ε, runs λ = 0 and its λ, and makes the toy loss one whose
   * data gradient at θ is the exercise's (A = I, θ* = θ − ∇L_data), so step 0 of the λ run is
   * the exercise's step, split into its shrink and data parts.
   * @param {{id: string, inputs: any, shown?: object}} detail the "exercise:reveal" detail
   */
  showExercise(detail) {
    const { id, inputs } = detail;
    if (id === "parameter-count") {
      if (inputs.kind === "fc") [$("fc-in").value, $("fc-out").value] = [inputs.in_features, inputs.out_features].map(String);
      else [$("conv-in").value, $("conv-filters").value, $("conv-k").value] = [inputs.in_channels, inputs.filters, inputs.kernel].map(String);
      this.count();
      detail.shown = { target: "count-title", text: "these sizes in the counter, with the count and its formula" };
    } else if (id === "weight-decay-step") {
      const { theta, gradient, lr, weight_decay: lam } = inputs;
      this.state.loss = { hessian: [[1, 0], [0, 1]], theta_star: theta.map((v, i) => v - gradient[i]) };
      $("reg-lambdas").value = `0, ${lam}`;
      $("reg-lr").value = String(lr);
      [$("reg-x0").value, $("reg-y0").value] = theta.map(String);
      this.state.run = 1;
      this.state.t = 0;
      this.descend();
      detail.shown = { target: "reg-title", text: "the descent from this θ with this ε and λ; step 0 is the exercise's step, shrink and data part" };
    }
  }

  /** Say which toy loss the descent uses; an exercise's can be put back to the lesson's. */
  #showLoss() {
    const loss = this.state.loss;
    $("reg-loss-reset").hidden = !loss;
    const text = loss
      ? `The toy loss is the exercise's: A = I and θ* = ${point(loss.theta_star)}, so ∇L_{data}(θ₀) = θ₀ − θ*, ` +
        "the exercise's data gradient."
      : "";
    $("reg-loss-note").replaceChildren(...withSubscripts(text, "span").childNodes);
  }

  start() {
    document.addEventListener("exercise:reveal", (e) => this.showExercise(e.detail));
    this.count();
    this.descend();
    this.ledger();
  }

  #save() {
    saveState(STORAGE_KEY, this.state);
  }

  // -- Q6a: the count ----------------------------------------------------------------------------

  async count() {
    const value = (id) => Number($(id).value);
    this.state.fc = [value("fc-in"), value("fc-out")];
    this.state.conv = [value("conv-in"), value("conv-filters"), value("conv-k")];
    this.#save();
    const body = {
      fc: { in_features: this.state.fc[0], out_features: this.state.fc[1] },
      conv: { in_channels: this.state.conv[0], filters: this.state.conv[1], kernel_size: this.state.conv[2] },
    };
    const inputs = { in_features: "fc-in", out_features: "fc-out", in_channels: "conv-in", filters: "conv-filters", kernel_size: "conv-k" };
    for (const id of Object.values(inputs)) $(id).removeAttribute("aria-invalid");
    // the counts shown belong to the last valid input: marked stale until the input is fixed
    const answer = await this.countLab.post("/api/parameters", body,
      panelError("count-error", "count-cards", inputs, " (the counts below are for the last valid input)"));
    if (!answer) return;
    $("count-error").textContent = "";
    $("count-cards").classList.remove("stale");
    $("fc-count").textContent = formatCount(answer.fc_parameters);
    $("conv-count").textContent = formatCount(answer.conv_parameters);
    $("fc-formula").textContent = answer.fc.formula;
    $("conv-formula").textContent = answer.conv.formula;
    $("count-ratio").textContent = `The dense layer has ${formatNumber(answer.ratio, { digits: 1 })} times as many parameters as the conv layer.`;
  }

  // -- the shipped models ------------------------------------------------------------------------

  async ledger() {
    try {
      const { models } = await getJSON("/api/mnist/models");
      if (models.length === 0) {
        $("ledger-error").textContent = "no trained models are loaded on this server (train them with `convlab train`)";
        return;
      }
      $("ledger").replaceChildren(...models.map((m) => this.#ledgerTable(m)));
    } catch (error) {
      $("ledger-error").textContent = `could not load the models: ${error.message}`;
    }
  }

  #ledgerTable(model) {
    const head = el("thead");
    head.innerHTML = '<tr><th scope="col" class="left">layer</th><th scope="col" class="left">kind</th>'
      + '<th scope="col">output shape</th><th scope="col">parameters</th></tr>';
    const body = el("tbody");
    for (const layer of model.layers) {
      const tr = tableRow([layer.name, layer.kind, layer.output_shape.join("×"), layer.parameters ? formatCount(layer.parameters) : "0"]);
      for (const cell of [...tr.cells].slice(0, 2)) cell.className = "left";
      body.append(tr);
    }
    const foot = el("tfoot", {}, el("tr", {},
      el("th", { scope: "row", colSpan: 3, className: "left", textContent: `total · test accuracy ${formatNumber(100 * model.card.test_accuracy, { digits: 2 })} %` }),
      el("td", { className: "total", textContent: formatCount(model.total_parameters) })));
    return el("div", {},
      el("h3", { textContent: `${model.name.toUpperCase()} · ${model.description}` }),
      el("table", { className: "data-table ledger", "data-model": model.name }, head, body, foot));
  }

  // -- Q1: L2 as weight decay --------------------------------------------------------------------

  async descend() {
    const lambdas = parseLambdas($("reg-lambdas").value);
    const fields = { lambdas: "reg-lambdas", lr: "reg-lr", steps: "reg-steps", theta0: "reg-x0" };
    for (const id of [...Object.values(fields), "reg-y0"]) $(id).removeAttribute("aria-invalid");
    if ("error" in lambdas) {
      $("reg-error").textContent = lambdas.error;
      $("reg-lambdas").setAttribute("aria-invalid", "true");
      return;
    }
    this.state.lambdas = $("reg-lambdas").value;
    this.state.lr = Number($("reg-lr").value);
    this.state.steps = Number($("reg-steps").value);
    this.state.theta0 = [Number($("reg-x0").value), Number($("reg-y0").value)];
    this.#save();
    const body = {
      lambdas: lambdas.values,
      lr: this.state.lr,
      steps: this.state.steps,
      theta0: this.state.theta0,
      ...(this.state.loss ?? {}),
    };
    this.#showLoss();
    const answer = await this.regLab.post("/api/regularization/trajectory", body, panelError("reg-error", "reg-plot", fields));
    if (!answer) return;
    $("reg-error").textContent = "";
    $("reg-plot").classList.remove("stale");
    this.trajectory = answer;
    this.#fillRunControls();
    this.#drawTrajectory();
    this.#drawTable();
  }

  #fillRunControls() {
    const { runs, steps } = this.trajectory;
    const select = $("reg-run");
    select.replaceChildren(...runs.map((run, i) => {
      return el("option", { value: String(i), textContent: `λ = ${formatNumber(run.lam)}` });
    }));
    this.state.run = Math.min(this.state.run, runs.length - 1);
    select.value = String(this.state.run);
    const slider = $("reg-step");
    slider.max = String(steps - 1);
    this.state.t = Math.min(this.state.t, steps - 1);
    slider.value = String(this.state.t);
  }

  #drawTrajectory() {
    const tr = this.trajectory;
    if (!tr) return;
    const run = tr.runs[this.state.run];
    const t = this.state.t;
    $("reg-step-value").textContent = String(t);
    const { xs, ys, values } = tr.contours;
    const series = tr.runs.map((r, i) => ({
      label: `λ = ${formatNumber(r.lam)}`,
      points: r.points,
      className: `run-${i}`,
      endDot: true,
    }));
    this.plot.draw(series, {
      xDomain: [xs[0], xs[xs.length - 1]],
      yDomain: [ys[0], ys[ys.length - 1]],
      under: (g, sx, sy) => {
        for (const level of quadraticLevels(values, 9)) {
          const d = contourSegments(xs, ys, values, level)
            .map(([a, b]) => `M${sx(a[0]).toFixed(1)},${sy(a[1]).toFixed(1)}L${sx(b[0]).toFixed(1)},${sy(b[1]).toFixed(1)}`)
            .join("");
          g.append(svgElement("path", { d, class: "contour" }));
        }
        g.append(svgElement("circle", { cx: sx(0), cy: sy(0), r: 3, class: "origin" }));
        g.append(svgElement("text", { x: sx(0) + 5, y: sy(0) + 12, class: "note" }, "0"));
        const [tx, ty] = tr.theta_star;
        g.append(svgElement("path", { d: cross(sx(tx), sy(ty)), class: "optimum" }));
        g.append(svgElement("text", { x: sx(tx) + 6, y: sy(ty) - 6, class: "note" }, "θ*"));
        tr.runs.forEach((r, i) => {
          g.append(svgElement("circle", { cx: sx(r.minimiser[0]), cy: sy(r.minimiser[1]), r: 6, class: `minimiser run-${i}` }));
        });
      },
      over: (g, sx, sy) => {
        const from = run.points[t];
        const shrunk = [from[0] + run.decay[t][0], from[1] + run.decay[t][1]];
        const next = run.points[t + 1];
        g.append(arrow(sx, sy, from, shrunk, "arrow-decay"));
        g.append(arrow(sx, sy, shrunk, next, "arrow-data"));
        g.append(svgElement("circle", { cx: sx(from[0]), cy: sy(from[1]), r: 4, class: "step-point" }));
      },
      summary: tr.runs.map((r) => `λ = ${r.lam} ends at ${point(r.final)}`).join("; "),
    });

    const lines = [
      [`run λ = ${formatNumber(run.lam)}, ε = ${formatNumber(tr.lr)}: shrink factor 1 − 2ελ = ${formatNumber(run.shrink_factor, { digits: 4 })}`, ""],
      [`θ_{${t}} = ${point(run.points[t])}`, ""],
      [`shrink: (1 − 2ελ)θ_{${t}} − θ_{${t}} = −2ελθ_{${t}} = ${point(run.decay[t])}`, "decay"],
      [`data: −ε∇L_{data}(θ_{${t}}) = ${point(run.data_step[t])}`, "data"],
      [`θ_{${t + 1}} = θ_{${t}} + shrink + data = ${point(run.points[t + 1])}`, ""],
    ];
    $("reg-decomposition").replaceChildren(...lines.map(([text, cls]) => {
      const div = withSubscripts(text);
      if (cls) div.className = cls;
      return div;
    }));
  }

  #drawTable() {
    const rows = this.trajectory.runs.map((run, i) => {
      const tr = tableRow([
        formatNumber(run.lam),
        formatNumber(run.shrink_factor, { digits: 4 }),
        point(run.final),
        point(run.minimiser),
        n3(run.distance_to_minimiser),
        n3(run.data_loss),
        n3(run.penalty),
      ]);
      tr.className = `run-${i}`;
      return tr;
    });
    $("reg-table").querySelector("tbody").replaceChildren(...rows);
  }
}

/** An SVG path of a small × at (x, y). */
function cross(x, y) {
  const r = 5;
  return `M${x - r},${y - r}L${x + r},${y + r}M${x - r},${y + r}L${x + r},${y - r}`;
}

/** An arrow from a to b (data coordinates) with a small head. */
function arrow(sx, sy, a, b, cls) {
  const x1 = sx(a[0]);
  const y1 = sy(a[1]);
  const x2 = sx(b[0]);
  const y2 = sy(b[1]);
  const g = svgElement("g", { class: `arrow ${cls}` });
  g.append(svgElement("line", { x1, y1, x2, y2 }));
  const length = Math.hypot(x2 - x1, y2 - y1);
  if (length > 2) {
    const ux = (x2 - x1) / length;
    const uy = (y2 - y1) / length;
    const h = Math.min(7, length / 2);
    const head = [
      [x2, y2],
      [x2 - h * ux + (h / 2) * uy, y2 - h * uy - (h / 2) * ux],
      [x2 - h * ux - (h / 2) * uy, y2 - h * uy + (h / 2) * ux],
    ];
    g.append(svgElement("polygon", { points: head.map((p) => p.join(",")).join(" ") }));
  }
  return g;
}

new ParametersPage().start();
