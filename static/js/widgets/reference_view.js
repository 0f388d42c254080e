// The shipped reference sweep of one experiment (GET /api/experiments → reference): test
// accuracy and gap against N and accuracy against shift (generalization), the accuracy table
// of the generated tasks (limits), ‖W‖, accuracy and the measured shrink against λ
// (weight-decay), and the sweep's own summary sentence. Owns the markup under its root:
// #reference-<id> blocks, #reference-note, #reference-summary and the figures inside them.

import { el, tableRow } from "../dom.js";
import { describeSeries, generalizationReference, lambdaText, limitsReference, modelName, percent, shiftAxis, weightDecayReference } from "../experiment_views.js";
import { formatCount, formatNumber } from "../format.js";
import { PlotView } from "./line_plot.js";

const IDS = ["generalization", "limits", "weight-decay"];

/** The reference figures of the selected experiment. */
export class ReferenceView extends PlotView {
  /**
   * @param {HTMLElement} root the element holding the reference markup
   * @param {{taskLabels?: Record<string, string>}} [options] names of the generated tasks
   */
  constructor(root, options = {}) {
    super(root);
    this.taskLabels = options.taskLabels ?? {};
  }

  /**
   * Show an experiment's reference (or say that the server has none).
   * @param {{id: string, reference: any}} experiment one item of GET /api/experiments
   */
  show(experiment) {
    const { reference } = experiment;
    for (const id of IDS) this.el(`reference-${id}`).hidden = id !== experiment.id || !reference;
    const summary = this.el("reference-summary");
    const note = this.el("reference-note");
    if (!reference) {
      note.textContent = "This server has no reference results for this experiment (they are computed by `convlab experiment reference`).";
      summary.textContent = "";
      return;
    }
    summary.textContent = reference.summary || "";
    const seeds = `mean ± std over seeds ${(reference.seeds || []).join(", ")}`;
    if (experiment.id === "generalization") this.#generalization(reference, note, seeds);
    else if (experiment.id === "limits") this.#limits(reference, note, seeds);
    else this.#weightDecay(reference, note, seeds);
  }

  #generalization(reference, note, seeds) {
    const ref = generalizationReference(reference);
    note.textContent = `Each model trained on N = ${ref.sizes.map(formatCount).join(", ")} digits, ${seeds}.`;
    const logN = { xScale: "log", xLabel: "N (training digits, log scale)" };
    // the sweep's N are the ticks; a little room either side keeps the end markers inside
    const nAxis = { xTicks: ref.sizes, xDomain: [Math.min(...ref.sizes) / 1.25, Math.max(...ref.sizes) * 1.25] };
    this.plot("ref-accuracy", { ...logN, label: "Test accuracy against the number of training digits", yLabel: "test accuracy (%)" })
      .draw(ref.accuracy, { ...nAxis, summary: describeSeries(ref.accuracy, "N") });
    this.plot("ref-gap", { ...logN, label: "Generalization gap against the number of training digits", yLabel: "gap (points)" })
      .draw(ref.gap, { ...nAxis, summary: describeSeries(ref.gap, "N") });
    this.el("ref-shift-caption").textContent = ref.shiftN
      ? `Accuracy on test digits shifted sideways (N = ${formatCount(ref.shiftN)})`
      : "Accuracy on shifted test digits";
    this.plot("ref-shift", { label: "Accuracy against the horizontal shift of the test digits", xLabel: "shift dx (px)", yLabel: "accuracy (%)" })
      .draw(ref.shift, { ...shiftAxis(ref.shift), summary: describeSeries(ref.shift, "dx") });
  }

  #limits(reference, note, seeds) {
    const ref = limitsReference(reference);
    note.textContent = `Test accuracy on each generated task, ${seeds}.`;
    const table = this.el("ref-limits-table");
    table.tHead.replaceChildren(tableRow(["task", ...ref.models.map((m) => modelName(m, "limits"))], "th"));
    table.tBodies[0].replaceChildren(...ref.rows.map((r) => {
      const best = Math.max(...r.cells.map((c) => c.mean));
      const tr = tableRow([this.taskLabels[r.task] ?? r.task]);
      for (const c of r.cells) tr.append(meanStdCell(c.mean, c.std, c.mean === best));
      return tr;
    }));
  }

  #weightDecay(reference, note, seeds) {
    const ref = weightDecayReference(reference);
    const cfg = reference.config || {};
    const wrong = cfg.label_noise ? `, ${formatNumber(100 * cfg.label_noise)} % of their labels wrong` : "";
    note.textContent = `Plain SGD (ε = ${formatNumber(cfg.learning_rate ?? Number.NaN)}, ${cfg.epochs ?? "?"} epochs, H = ${cfg.hidden ?? "?"}) on N = ${formatCount(cfg.train_size ?? Number.NaN)} digits${wrong}, for each λ, ${seeds}.`;
    // λ at evenly spaced positions (λ = 0 has no place on a log axis), labelled with its value
    const ticks = { xTicks: ref.lambdas.map((_, i) => i), xTickFormat: (i) => lambdaText(ref.lambdas[i]), xDomain: [-0.3, ref.lambdas.length - 0.7] };
    const norms = ref.lambdas.map((l, i) => `λ ${lambdaText(l)}: ${formatNumber(ref.norm[0].points[i][1], { digits: 2 })}`);
    this.plot("ref-norm", { label: "Final weight norm against λ", xLabel: "λ", yLabel: "‖W‖ after training" })
      .draw(ref.norm, { ...ticks, summary: norms.join(", ") });
    this.plot("ref-wd-accuracy", { label: "Train and test accuracy against λ", xLabel: "λ", yLabel: "accuracy (%)" })
      .draw(ref.accuracy, { ...ticks, summary: describeSeries(ref.accuracy, "λ index") });
    this.el("ref-shrink-table").tBodies[0].replaceChildren(...ref.shrink.map((s) =>
      tableRow([lambdaText(s.lambda), formatNumber(s.expected, { digits: 6 }), formatNumber(s.measured, { digits: 6 })])));
  }
}

/** A "91.2 % ± 0.4" cell, bold when it is the row's best. */
function meanStdCell(mean, std, best) {
  return el("td", best ? { className: "best" } : {}, percent(mean), el("span", { className: "pm", textContent: ` ± ${formatNumber(100 * std, { digits: 1 })}` }));
}
