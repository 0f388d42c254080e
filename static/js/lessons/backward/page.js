// The "Backward and transposed" lesson (tutorial Q3b–d, continued): the backward pass of the
// tutorial's convolution, ∂L/∂X as a full convolution, the transposed convolution and the 1-D
// convolution. This module only loads the state and hands it to the three parts of the page.

import { loadState, saveState } from "../../url_state.js";
import { BACKWARD_DEFAULTS, BACKWARD_KEY, cleanBackwardState } from "./state.js";
import { GradientLab } from "./gradient_lab.js";
import { SignalLab, TransposedLab } from "./transposed_lab.js";

const { state } = loadState(BACKWARD_KEY, BACKWARD_DEFAULTS, cleanBackwardState);
const save = () => saveState(BACKWARD_KEY, state);
const parts = [new GradientLab({ state, save }), new TransposedLab({ state, save }), new SignalLab({ state, save })];
save();
for (const part of parts) part.compute();

// a revealed exercise is shown on the lab it is about (the exercise's sizes, G or settings)
const [gradient, transposed] = parts;
document.addEventListener("exercise:reveal", (e) => {
  const detail = e.detail;
  if (detail.id === "grad-input-entries") {
    gradient.showExercise(detail.inputs);
    detail.shown = { target: "bw-g-title", text: "X, K = ones and a one-hot G at that cell, the entries of ∂L/∂X it reaches outlined" };
  } else if (detail.id === "transposed-output-size") {
    transposed.showExercise(detail.inputs);
    detail.shown = { target: "tc-title", text: "the transposed convolution with these sizes, its output and the formula" };
  }
});
