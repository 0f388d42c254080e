"""Conceptual questions of tutorial 3A as multiple choice (Q2a, Q2b, Q3d, Q5, Q6b, Q6c, Q6d).

Each kind has a small bank of questions written in our own words from the tutorial's answers
(Goodfellow et al. §7.1, §9.2, §9.3). The seed picks a question and the order of its options;
every option carries why it is right or wrong, and a wrong choice gets its own explanation as
the hint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.exercises.answers import Choice
from app.exercises.base import Mistake, Option, Problem

KEYS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Answer:
    """An option before shuffling: a tag for the misconception, its text, why."""

    tag: str
    text: str
    why: str
    correct: bool = False


@dataclass(frozen=True)
class Question:
    prompt: str
    answers: tuple[Answer, ...]
    summary: str
    """One or two sentences that state the point, shown with the verdict."""

    def __post_init__(self) -> None:
        assert len(self.answers) == len(KEYS), "every question has four options"
        assert sum(a.correct for a in self.answers) == 1, "exactly one option is right"


def _right(tag: str, text: str, why: str) -> Answer:
    return Answer(tag, text, why, correct=True)


def from_bank(bank: tuple[Question, ...]) -> Callable[[np.random.Generator], Problem]:
    """A ``make(rng)`` that draws one question of ``bank`` and shuffles its options."""

    def make(rng: np.random.Generator) -> Problem:
        question = bank[int(rng.integers(len(bank)))]
        order = rng.permutation(len(KEYS))
        answers = [question.answers[int(n)] for n in order]
        options = tuple(
            Option(key, a.text, a.correct, a.why) for key, a in zip(KEYS, answers, strict=True)
        )
        right = next(o for o in options if o.correct)
        return Problem(
            prompt=question.prompt,
            inputs={"options": [{"key": o.key, "text": o.text} for o in options]},
            answer=Choice(KEYS),
            expected=right.key,
            explanation=f"{right.key}: {right.explanation} {question.summary}",
            general_hint="Read the options again against the tutorial's definitions.",
            mistakes=tuple(
                Mistake(a.tag, a.why, value=key)
                for key, a in zip(KEYS, answers, strict=True)
                if not a.correct
            ),
            options=options,
        )

    return make


LOCAL_PATTERNS = (
    Question(
        "Digits such as 3, 5 and 9 are built from strokes, curves and junctions. Which statement "
        "about these local patterns is right?",
        (
            _right(
                "patterns-move",
                "The same small patterns recur, but not at fixed positions: a curve can sit "
                "higher, lower or further left in another image.",
                "Right: the pattern is the same, its location changes, so a model should "
                "detect it anywhere instead of learning it once per position.",
            ),
            Answer(
                "fixed-positions",
                "Each pattern always appears at the same pixels, so one weight per pixel is "
                "enough to find it.",
                "Handwriting moves: the same stroke appears shifted, thicker or thinner, so a "
                "detector tied to fixed pixels misses it elsewhere.",
            ),
            Answer(
                "global-only",
                "A digit can only be recognised from all 784 pixels at once; small patches "
                "carry no useful information.",
                "A small patch often holds meaningful structure (an edge, an end of a stroke) "
                "independent of the rest of the image; that is what local filters exploit.",
            ),
            Answer(
                "unique-patterns",
                "Each digit has its own patterns that never occur in other digits.",
                "Digits share components: 3, 5 and 9 share curves and horizontal strokes; "
                "they differ by local modifications.",
            ),
        ),
        "Local patterns that recur at varying positions motivate local filters with shared "
        "weights.",
    ),
    Question(
        "Turning a 3 into a 5 (a vertical stroke added at the top left, the top curve changed) "
        "mostly needs…",
        (
            _right(
                "local-edits",
                "a few local modifications, while many components (the lower curve, stroke "
                "fragments) stay unchanged.",
                "Right: digits differ by local changes, not a complete reorganisation of all "
                "pixels, so detectors of shared parts can be reused.",
            ),
            Answer(
                "all-pixels",
                "changing almost every pixel of the image.",
                "Most of the ink stays where it is; only a few regions change.",
            ),
            Answer(
                "global-transform",
                "one global transformation of the whole image, like a rotation.",
                "The changes are local edits (add a stroke, reshape a curve), not one global "
                "transform.",
            ),
            Answer(
                "nothing-shared",
                "nothing: 3 and 5 have no visual components in common.",
                "They share the lower curve and stroke fragments; that is why part detectors "
                "transfer between digits.",
            ),
        ),
        "Digits share local components and differ by local edits.",
    ),
    Question(
        "Why does treating each of the 784 pixels as an independent input feature ignore "
        "important structure?",
        (
            _right(
                "neighbours-lost",
                "It forgets which pixels are neighbours, so the same pattern at two positions "
                "needs two separate sets of weights.",
                "Right: flattening drops the 2-D neighbourhood, and nearby pixels are highly "
                "correlated; the network has to relearn each motif at every position.",
            ),
            Answer(
                "loses-pixels",
                "Flattening throws some pixel values away.",
                "No value is lost: all 784 numbers are kept, only their 2-D arrangement is "
                "no longer used by the model.",
            ),
            Answer(
                "too-few-parameters",
                "It gives the network too few parameters to fit the data.",
                "The opposite: a dense layer on 784 pixels has many redundant parameters.",
            ),
            Answer(
                "pixels-independent",
                "Nothing is ignored: pixels of an image are independent of each other.",
                "Nearby pixels are strongly correlated (strokes are continuous), which is "
                "exactly the structure flattening ignores.",
            ),
        ),
        "Locality and weight sharing are the structure a flattened vector does not use.",
    ),
)

FULLY_CONNECTED = (
    Question(
        "A fully connected layer ℝ^784 → ℝ^H acts on flattened MNIST images. Which statement "
        "is right, in the terms of Goodfellow §9.2?",
        (
            _right(
                "none-of-three",
                "It has neither sparse interactions nor parameter sharing, and it is not "
                "equivariant to translation.",
                "Right: every hidden unit connects to all 784 pixels with its own weights, and "
                "a shifted digit gives an unrelated hidden vector.",
            ),
            Answer(
                "sparse",
                "Its interactions are sparse: each hidden unit sees a few pixels.",
                "Each hidden unit connects to all 784 pixels: dense interactions.",
            ),
            Answer(
                "sharing",
                "It shares parameters between positions, like a convolution.",
                "Every connection has its own weight; nothing is reused across positions.",
            ),
            Answer(
                "equivariant",
                "Shifting the digit shifts the hidden activations by the same amount.",
                "There is no spatial layout in the hidden vector to shift; the response can "
                "change completely unless the invariance is learned from data.",
            ),
        ),
        "784 is the number of pixels (28 × 28); H the number of hidden units.",
    ),
    Question(
        "In the fully connected layer ℝ^784 → ℝ^H, what do 784 and H stand for?",
        (
            _right(
                "pixels-and-units",
                "784 = 28 × 28 input pixels of the flattened image; H = the number of hidden "
                "units, one activation each.",
                "Right: flattening gives one entry per pixel, and the layer outputs an "
                "H-dimensional feature vector.",
            ),
            Answer(
                "images",
                "784 is the number of training images; H the number of classes.",
                "784 counts pixels of one image (28 × 28), and H hidden units, not classes.",
            ),
            Answer(
                "weights",
                "784 is the number of weights of the layer; H the number of biases.",
                "The layer has 784·H weights and H biases; 784 is the input dimension.",
            ),
            Answer(
                "filters",
                "784 is the number of filters; H their size.",
                "A fully connected layer has no filters; 784 is the input dimension.",
            ),
        ),
        "The layer has 784·H weights and H biases.",
    ),
)

HYPOTHESIS_SPACE = (
    Question(
        "What is the hypothesis space of a convolutional layer?",
        (
            _right(
                "set-of-functions",
                "The set of all input-to-output functions it can represent: the linear maps "
                "made of one small kernel applied at every position with shared weights.",
                "Right: the architecture fixes which functions are reachable; training picks "
                "one of them.",
            ),
            Answer(
                "training-set",
                "The set of training images the layer has seen.",
                "That is the data; the hypothesis space is the set of functions the model can "
                "express, whatever the data.",
            ),
            Answer(
                "weights-found",
                "The particular weights that training found.",
                "Those weights pick one function; the hypothesis space is all the functions "
                "any choice of weights could give.",
            ),
            Answer(
                "all-linear",
                "Every linear map from images to feature maps.",
                "Most linear maps cannot be written as one small shared kernel; convolution "
                "is a restricted subset of them.",
            ),
        ),
        "Convolution restricts the class of functions: a smaller hypothesis space.",
    ),
    Question(
        "Why can restricting the hypothesis space (as convolution does) improve generalization?",
        (
            _right(
                "removes-wrong-functions",
                "It removes many functions that fit the training set but do not match how "
                "images are structured, so fewer examples pin down a good one.",
                "Right: with fewer degrees of freedom the model needs less data and is less "
                "likely to fit noise.",
            ),
            Answer(
                "more-parameters",
                "It gives the network more parameters to fit the data.",
                "It gives fewer: a shared k×k kernel instead of one weight per connection.",
            ),
            Answer(
                "faster-training",
                "Only because training is faster.",
                "Speed is a side effect; generalization improves because the remaining "
                "functions match image structure.",
            ),
            Answer(
                "never-helps",
                "It cannot: a smaller hypothesis space always generalizes worse.",
                "A smaller space whose functions suit the data (locality, translation) "
                "generalizes better; that is an inductive bias at work.",
            ),
        ),
        "The inductive bias: locality and translation equivariance with shared weights.",
    ),
)

POOLING = (
    Question(
        "Compare 2×2 max pooling with a convolution. Which statement is right?",
        (
            _right(
                "fixed-nonlinear-lossy",
                "Pooling has no learned parameters, is nonlinear (max) and throws information "
                "away; a convolution learns its weights and is linear in its input.",
                "Right: learned vs fixed, linear vs nonlinear, and pooling keeps one value of "
                "four (exact positions and the other values are lost).",
            ),
            Answer(
                "pool-learned",
                "Pooling learns which pixel of each window to keep.",
                "Max pooling has no parameters: it always keeps the largest value.",
            ),
            Answer(
                "pool-linear",
                "Max pooling is linear, like a convolution.",
                "max(a + b) ≠ max(a) + max(b) in general: the max is nonlinear.",
            ),
            Answer(
                "pool-keeps-all",
                "Max pooling keeps all the information; it only reorders it.",
                "It keeps one value per window: the other three and the exact position are "
                "lost (two different inputs can pool to the same output).",
            ),
        ),
        "Pooling: fixed, nonlinear, lossy. Convolution: learned, linear.",
    ),
    Question(
        "A layer detects vertical edges; the input shifts by one pixel. What is the "
        "difference between equivariance and invariance here?",
        (
            _right(
                "equi-vs-inv",
                "The convolution is equivariant (its activations shift by one pixel too); max "
                "pooling makes the output nearly invariant (many pooled values stay the same).",
                "Right: equivariance means a shift in gives a shift out; invariance means the "
                "output does not change, here only while the edge stays in its pooling window.",
            ),
            Answer(
                "conv-invariant",
                "The convolution's activations do not change at all when the input shifts.",
                "They move with the input: that is equivariance, not invariance.",
            ),
            Answer(
                "pool-exact",
                "Max pooling makes the output exactly invariant to any shift.",
                "Only small shifts within a window are absorbed; once the edge crosses into "
                "another window, the pooled value changes.",
            ),
            Answer(
                "same-thing",
                "Equivariance and invariance are the same property.",
                "Equivariant: the output transforms predictably (shifts). Invariant: the output "
                "stays the same.",
            ),
        ),
        "Convolution: equivariant. Pooling: approximately invariant to small shifts.",
    ),
)

REGULARIZATION = (
    Question(
        "L2 regularization and convolution both regularize. Which pairing is right?",
        (
            _right(
                "magnitude-vs-structure",
                "L2 restricts the magnitude of the weights and changes the optimization "
                "trajectory; convolution restricts connectivity and functional form, i.e. the "
                "hypothesis space.",
                "Right: L2 adds 2λθ to the gradient and shrinks weights; convolution removes "
                "connections and ties weights by design.",
            ),
            Answer(
                "l2-architecture",
                "L2 changes the architecture: it removes connections whose weights are small.",
                "L2 shrinks weights but keeps every connection; the architecture is unchanged.",
            ),
            Answer(
                "conv-magnitude",
                "Convolution restricts the size of the weights, like L2.",
                "Convolution says nothing about magnitude; it restricts which inputs connect "
                "and ties weights across positions.",
            ),
            Answer(
                "both-same",
                "Both only change the optimization trajectory; neither changes what the model "
                "can represent.",
                "Convolution explicitly restricts the hypothesis space: many linear maps are "
                "not representable by a conv layer.",
            ),
        ),
        "Explicit (L2: magnitude, trajectory) vs structural (conv: connectivity, hypothesis "
        "space) regularization.",
    ),
    Question(
        "Does L2 regularization change the architecture of the network?",
        (
            _right(
                "trajectory-only",
                "No: layers, units, activations and connectivity stay the same; it changes "
                "the optimization trajectory by adding 2λθ to the gradient.",
                "Right: every step first shrinks θ by (1 − 2ελ), then takes the data step.",
            ),
            Answer(
                "removes-units",
                "Yes: it removes the units with small weights.",
                "Nothing is removed; weights are pulled toward zero but stay parameters.",
            ),
            Answer(
                "adds-layer",
                "Yes: it adds a regularization layer to the network.",
                "The penalty is a term in the loss, not a layer.",
            ),
            Answer(
                "nothing-changes",
                "No, and it does not change the training either.",
                "It does change training: the gradient gains 2λθ, so the weights decay at "
                "every step.",
            ),
        ),
        "L2 works through the loss and the gradient, not the architecture.",
    ),
)

GENERALIZATION = (
    Question(
        "You train a fully connected network with strong L2 and a convolutional network with "
        "little explicit regularization on images. Which usually generalizes better, and why?",
        (
            _right(
                "cnn-aligned",
                "The CNN: locality and weight sharing match how images are built (local motifs "
                "that recur and shift), so its smaller hypothesis space fits the data.",
                "Right: L2 only shrinks weights; it does not tell the model that the same "
                "pattern elsewhere should be treated alike.",
            ),
            Answer(
                "fc-l2",
                "The fully connected network: strong L2 removes overfitting completely.",
                "L2 shrinks the weights but keeps every function the dense layer can express, "
                "including ones that ignore image structure.",
            ),
            Answer(
                "same",
                "Both the same: regularization is regularization.",
                "They restrict different things: L2 magnitude, convolution connectivity and "
                "form; the latter is aligned with images.",
            ),
            Answer(
                "more-params-better",
                "The fully connected network, because more parameters always generalize better.",
                "More free parameters mean more ways to fit noise; the dense layer wastes them "
                "relearning the same motif at many positions.",
            ),
        ),
        "Inductive bias aligned with the data beats a generic penalty.",
    ),
    Question(
        "Why does a conv layer have fewer effective degrees of freedom than a fully connected "
        "layer with strong L2?",
        (
            _right(
                "cannot-express",
                "The conv layer cannot express most input-to-output maps at all; L2 only makes "
                "large weights costly but every map stays reachable.",
                "Right: structural restriction removes functions; the penalty only reweights them.",
            ),
            Answer(
                "smaller-weights",
                "Because the conv layer's weights are numerically smaller.",
                "Weight size is what L2 controls; the conv layer's restriction is structural.",
            ),
            Answer(
                "fewer-outputs",
                "Because it has fewer outputs.",
                "A conv layer often has more outputs (a whole map per filter); it has fewer "
                "free parameters because they are shared.",
            ),
            Answer(
                "l2-removes",
                "It does not: strong L2 removes the same functions as convolution.",
                "L2 never removes a function from the hypothesis space; it only biases "
                "training toward small-norm ones.",
            ),
        ),
        "Effective hypothesis space: removed (conv) vs penalized (L2).",
    ),
)

LIMITS = (
    Question(
        "For which task is convolution's inductive bias likely a poor fit?",
        (
            _right(
                "absolute-position",
                "Detecting whether there is a small dot exactly in the top-left corner.",
                "Right: the answer depends on the absolute position, but a conv layer responds "
                "the same way wherever the dot is (translation equivariance).",
            ),
            Answer(
                "digits",
                "Recognising handwritten digits.",
                "Digits are made of local strokes that recur and shift: exactly what "
                "convolution is built for.",
            ),
            Answer(
                "edges",
                "Finding edges anywhere in a photograph.",
                "An edge detector applied everywhere is the textbook case for a convolution.",
            ),
            Answer(
                "textures",
                "Classifying textures (grass, gravel, fabric).",
                "Textures are local patterns repeated across the image: a good fit for shared "
                "local filters.",
            ),
        ),
        "Convolution is a poor bias when the target depends on absolute position or on "
        "relations far apart.",
    ),
    Question(
        "Which task is hard for a small stack of convolutions, because of its inductive bias?",
        (
            _right(
                "symmetry",
                "Deciding whether an image is left-right symmetric.",
                "Right: it compares pixels far apart (mirror positions), beyond what local "
                "receptive fields relate, and the answer is not built from local motifs.",
            ),
            Answer(
                "blobs",
                "Finding bright blobs anywhere in the image.",
                "A local detector applied everywhere finds blobs wherever they are.",
            ),
            Answer(
                "strokes",
                "Detecting horizontal strokes in digits.",
                "Horizontal strokes are local patterns: one small filter finds them anywhere.",
            ),
            Answer(
                "corners",
                "Detecting corners in drawings.",
                "Corners are local junctions of edges; convolution suits them.",
            ),
        ),
        "Local, translation-equivariant filters suit local, position-free patterns.",
    ),
)

ALIASING = (
    Question(
        "A CNN with 2×2 max pooling (stride 2) reads a digit correctly; shifted one pixel to the "
        "right it reads another digit. What is the best explanation?",
        (
            _right(
                "aliasing",
                "Pooling with stride 2 subsamples: a one-pixel shift is half a cell of the pooled "
                "grid, so the pooled maps change instead of shifting, and the head sees new "
                "numbers.",
                "Right: subsampling without a low-pass filter aliases (Azulay & Weiss 2019; "
                "Zhang 2019); the convolutions stay equivariant, the subsampling breaks it.",
            ),
            Answer(
                "conv-not-equivariant",
                "Convolution is not equivariant to one-pixel shifts; only to shifts by the "
                "kernel size.",
                "At stride 1 convolution is equivariant to every shift (away from the borders); "
                "it is the stride-2 subsampling that only commutes with even shifts.",
            ),
            Answer(
                "pooling-invariant",
                "It cannot happen: max pooling makes a CNN invariant to shifts of one pixel.",
                "Pooling is only approximately invariant: a maximum that crosses a window "
                "border changes the pooled value, and several layers compound it.",
            ),
            Answer(
                "overfitting",
                "The network overfitted the training digits' positions; more epochs would fix it.",
                "Training on shifted digits helps, but the architecture itself is not shift-"
                "invariant: stride-2 pooling aliases whatever the weights are.",
            ),
        ),
        "Subsampling aliases: a CNN with strided pooling is only invariant to shifts by its "
        "total stride, and approximately to others.",
    ),
    Question(
        "Max-blur-pool replaces 2×2 max pooling by a 2×2 max at stride 1, then a 3×3 binomial "
        "blur at stride 2. What does the blur buy?",
        (
            _right(
                "low-pass",
                "It removes most of the high frequencies before keeping every second value, so "
                "a one-pixel shift moves the pooled values gradually instead of making them "
                "jump.",
                "Right: a low-pass filter before subsampling is the signal-processing remedy "
                "for aliasing (Zhang 2019); the max is kept, evaluated densely.",
            ),
            Answer(
                "exact-invariance",
                "It makes the network exactly invariant to one-pixel shifts.",
                "The pooled maps still change under a one-pixel shift, just less abruptly; "
                "exact invariance holds only for shifts by the total stride.",
            ),
            Answer(
                "more-parameters",
                "It adds learned weights that the network can use to undo the shift.",
                "The blur is fixed ([1, 2, 1] ⊗ [1, 2, 1] / 16): the anti-aliased CNN has "
                "exactly the parameters of the plain one.",
            ),
            Answer(
                "larger-maps",
                "It keeps larger feature maps, so less information is thrown away.",
                "The output size is ⌊H/2⌋ × ⌊W/2⌋, the same as 2×2 max pooling; what changes is "
                "which values are kept, not how many.",
            ),
        ),
        "Blur, then subsample: same size, same parameters, smoother response to small shifts.",
    ),
)

BANKS = {
    "concept-local-patterns": LOCAL_PATTERNS,
    "concept-fully-connected": FULLY_CONNECTED,
    "concept-hypothesis-space": HYPOTHESIS_SPACE,
    "concept-pooling": POOLING,
    "concept-regularization": REGULARIZATION,
    "concept-generalization": GENERALIZATION,
    "concept-limits": LIMITS,
    "concept-aliasing": ALIASING,
}
