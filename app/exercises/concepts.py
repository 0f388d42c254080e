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
                "The same small patterns recur, but not at fixed positions: a curve can sit higher "
                "or lower in another image.",
                "Right: the pattern is the same, its location changes, so a model should "
                "detect it anywhere instead of learning it once per position.",
            ),
            Answer(
                "fixed-positions",
                "Each pattern appears at about the same pixels in every image, so one weight per "
                "pixel is enough to find it.",
                "Handwriting moves: the same stroke appears shifted, thicker or thinner, so a "
                "detector tied to fixed pixels misses it elsewhere.",
            ),
            Answer(
                "global-only",
                "A digit is recognised from all 784 pixels together; a small patch on its own "
                "carries little useful information.",
                "A small patch often holds meaningful structure (an edge, an end of a stroke) "
                "independent of the rest of the image; that is what local filters exploit.",
            ),
            Answer(
                "unique-patterns",
                "Each digit is built from its own set of patterns: the strokes and curves of a 3 "
                "do not occur in a 5 or a 9.",
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
                "a few local edits, while most components (the lower curve, stroke fragments) stay "
                "as they are.",
                "Right: digits differ by local changes, not a complete reorganisation of all "
                "pixels, so detectors of shared parts can be reused.",
            ),
            Answer(
                "all-pixels",
                "a change to almost every pixel, because the two digits differ in how their whole "
                "outline is drawn.",
                "Most of the ink stays where it is; only a few regions change.",
            ),
            Answer(
                "global-transform",
                "one global transformation of the whole image, such as a rotation or a reflection "
                "about its middle.",
                "The changes are local edits (add a stroke, reshape a curve), not one global "
                "transform.",
            ),
            Answer(
                "nothing-shared",
                "a new drawing from scratch, since a 3 and a 5 share no strokes or curves with "
                "each other at all.",
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
                "needs two sets of weights.",
                "Right: flattening drops the 2-D neighbourhood, and nearby pixels are highly "
                "correlated; the network has to relearn each motif at every position.",
            ),
            Answer(
                "loses-pixels",
                "Flattening drops some pixel values at the borders, so part of each digit is no "
                "longer seen by the model.",
                "No value is lost: all 784 numbers are kept, only their 2-D arrangement is "
                "no longer used by the model.",
            ),
            Answer(
                "too-few-parameters",
                "It gives the network too few parameters, so it cannot fit the variety of "
                "handwriting in the data.",
                "The opposite: a dense layer on 784 pixels has many redundant parameters.",
            ),
            Answer(
                "pixels-independent",
                "It ignores nothing: the pixel values of an image are independent, so their "
                "arrangement carries no information.",
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
                "Its interactions are sparse: each hidden unit is connected to a small window of "
                "nearby pixels only.",
                "Each hidden unit connects to all 784 pixels: dense interactions.",
            ),
            Answer(
                "sharing",
                "It shares its parameters between positions, so the same weights are applied at "
                "every pixel, like a convolution.",
                "Every connection has its own weight; nothing is reused across positions.",
            ),
            Answer(
                "equivariant",
                "It is equivariant to translation: shifting the digit shifts the hidden "
                "activations by the same amount.",
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
                "784 is the number of input pixels of one flattened 28 × 28 image; H is the number "
                "of hidden units.",
                "Right: flattening gives one entry per pixel, and the layer outputs an "
                "H-dimensional feature vector.",
            ),
            Answer(
                "images",
                "784 is the number of training images in one batch of data; H is the number of "
                "classes, one per digit.",
                "784 counts pixels of one image (28 × 28), and H hidden units, not classes.",
            ),
            Answer(
                "weights",
                "784 is the number of weights of the layer in total; H is the number of its "
                "biases, one per hidden unit.",
                "The layer has 784·H weights and H biases; 784 is the input dimension.",
            ),
            Answer(
                "filters",
                "784 is the number of filters the layer learns from the images; H is the side of "
                "each of these filters.",
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
                "The set of functions it can represent: the linear maps that apply one small "
                "kernel at every position.",
                "Right: the architecture fixes which functions are reachable; training picks "
                "one of them.",
            ),
            Answer(
                "training-set",
                "The set of training images the layer has seen, together with the feature maps "
                "it computed for each of them.",
                "That is the data; the hypothesis space is the set of functions the model can "
                "express, whatever the data.",
            ),
            Answer(
                "weights-found",
                "The particular weights that training found, i.e. the one kernel the layer ends up "
                "using on images.",
                "Those weights pick one function; the hypothesis space is all the functions "
                "any choice of weights could give.",
            ),
            Answer(
                "all-linear",
                "The set of all linear maps from an image to a feature map of the same size, with "
                "any weights at all.",
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
                "It removes functions that fit the training set but ignore image structure, so "
                "fewer examples pin down a good one.",
                "Right: with fewer degrees of freedom the model needs less data and is less "
                "likely to fit noise.",
            ),
            Answer(
                "more-parameters",
                "It gives the network more parameters, so it can fit the training images and the "
                "test images more closely.",
                "It gives fewer: a shared k×k kernel instead of one weight per connection.",
            ),
            Answer(
                "faster-training",
                "It makes every training step faster, and the extra steps that fit in the same "
                "time are what raise the test accuracy.",
                "Speed is a side effect; generalization improves because the remaining "
                "functions match image structure.",
            ),
            Answer(
                "never-helps",
                "It does not: a smaller hypothesis space can only fit fewer functions, so it tends "
                "to generalize worse.",
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
                "Pooling has no learned weights, is nonlinear and loses information; a convolution "
                "learns weights and is linear.",
                "Right: learned vs fixed, linear vs nonlinear, and pooling keeps one value of "
                "four (exact positions and the other values are lost).",
            ),
            Answer(
                "pool-learned",
                "Pooling learns which pixel of each 2×2 window to keep, much as a convolution "
                "learns the weights of its own kernel.",
                "Max pooling has no parameters: it always keeps the largest value.",
            ),
            Answer(
                "pool-linear",
                "Max pooling is linear in its input, like a convolution; the two differ only in "
                "having no learned weights.",
                "max(a + b) ≠ max(a) + max(b) in general: the max is nonlinear.",
            ),
            Answer(
                "pool-keeps-all",
                "Max pooling keeps all the information of its input; it only reorders it into a "
                "smaller but deeper map.",
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
                "The conv activations shift by one pixel too (equivariance); after max pooling "
                "many values stay the same (near invariance).",
                "Right: equivariance means a shift in gives a shift out; invariance means the "
                "output does not change, here only while the edge stays in its pooling window.",
            ),
            Answer(
                "conv-invariant",
                "The convolution's activations stay exactly the same when the input shifts "
                "(invariance); pooling then shifts them (equivariance).",
                "They move with the input: that is equivariance, not invariance.",
            ),
            Answer(
                "pool-exact",
                "The convolution shifts its activations (equivariance), and max pooling makes the "
                "output exactly the same for any shift.",
                "Only small shifts within a window are absorbed; once the edge crosses into "
                "another window, the pooled value changes.",
            ),
            Answer(
                "same-thing",
                "There is no difference here: equivariance and invariance are two names for the "
                "same property of the layer.",
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
                "L2 limits the size of the weights (the training path); convolution limits "
                "connectivity and form (the hypothesis space).",
                "Right: L2 adds 2λθ to the gradient and shrinks weights; convolution removes "
                "connections and ties weights by design.",
            ),
            Answer(
                "l2-architecture",
                "L2 changes the architecture by removing the connections whose weights are small; "
                "convolution limits the weights' sizes instead.",
                "L2 shrinks weights but keeps every connection; the architecture is unchanged.",
            ),
            Answer(
                "conv-magnitude",
                "Both limit the size of the weights: convolution keeps its kernels small, L2 keeps "
                "the dense weights small.",
                "Convolution says nothing about magnitude; it restricts which inputs connect "
                "and ties weights across positions.",
            ),
            Answer(
                "both-same",
                "Both change only the training path; neither changes the set of functions the "
                "model is able to represent.",
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
                "No: the layers and connections stay the same; it changes the training steps by "
                "adding 2λθ to the gradient.",
                "Right: every step first shrinks θ by (1 − 2ελ), then takes the data step.",
            ),
            Answer(
                "removes-units",
                "Yes: during training it removes the hidden units whose incoming weights have all "
                "become close to zero.",
                "Nothing is removed; weights are pulled toward zero but stay parameters.",
            ),
            Answer(
                "adds-layer",
                "Yes: it adds a regularization layer after every weight layer of the network, "
                "which scales that layer's output down.",
                "The penalty is a term in the loss, not a layer.",
            ),
            Answer(
                "nothing-changes",
                "No, and it leaves training unchanged as well: the gradient steps are the same as "
                "without the penalty.",
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
                "The CNN: locality and weight sharing match how images are built, from local "
                "motifs that recur and shift.",
                "Right: L2 only shrinks weights; it does not tell the model that the same "
                "pattern elsewhere should be treated alike.",
            ),
            Answer(
                "fc-l2",
                "The fully connected network: strong L2 keeps its weights small enough that it "
                "cannot overfit the images.",
                "L2 shrinks the weights but keeps every function the dense layer can express, "
                "including ones that ignore image structure.",
            ),
            Answer(
                "same",
                "About the same: both are regularized, and how a model is regularized matters less "
                "than how strongly.",
                "They restrict different things: L2 magnitude, convolution connectivity and "
                "form; the latter is aligned with images.",
            ),
            Answer(
                "more-params-better",
                "The fully connected network: it has more parameters, so it can represent every "
                "pattern the CNN can and more.",
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
                "The conv layer cannot express most input-to-output maps; L2 makes large weights "
                "costly but keeps every map.",
                "Right: structural restriction removes functions; the penalty only reweights them.",
            ),
            Answer(
                "smaller-weights",
                "The conv layer's weights end up numerically smaller than the dense layer's, even "
                "when the dense layer's L2 is strong.",
                "Weight size is what L2 controls; the conv layer's restriction is structural.",
            ),
            Answer(
                "fewer-outputs",
                "The conv layer has fewer outputs than the dense layer, so fewer numbers have to "
                "be fitted to the data.",
                "A conv layer often has more outputs (a whole map per filter); it has fewer "
                "free parameters because they are shared.",
            ),
            Answer(
                "l2-removes",
                "It does not: strong L2 removes the same functions as convolution, so both have "
                "the same degrees of freedom.",
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
                "Detecting whether there is a small dot exactly in the top-left corner of the "
                "image.",
                "Right: the answer depends on the absolute position, but a conv layer responds "
                "the same way wherever the dot is (translation equivariance).",
            ),
            Answer(
                "digits",
                "Recognising handwritten digits that are drawn at slightly different places and "
                "sizes.",
                "Digits are made of local strokes that recur and shift: exactly what "
                "convolution is built for.",
            ),
            Answer(
                "edges",
                "Finding edges anywhere in a photograph, at whatever position they happen to "
                "appear.",
                "An edge detector applied everywhere is the textbook case for a convolution.",
            ),
            Answer(
                "textures",
                "Classifying textures such as grass, gravel or fabric from patches of a "
                "photograph.",
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
                "Deciding whether an image is left-right symmetric as a whole.",
                "Right: it compares pixels far apart (mirror positions), beyond what local "
                "receptive fields relate, and the answer is not built from local motifs.",
            ),
            Answer(
                "blobs",
                "Finding bright blobs anywhere in the image, whatever their size.",
                "A local detector applied everywhere finds blobs wherever they are.",
            ),
            Answer(
                "strokes",
                "Detecting horizontal strokes in handwritten digits, wherever they are.",
                "Horizontal strokes are local patterns: one small filter finds them anywhere.",
            ),
            Answer(
                "corners",
                "Detecting the corners where two lines meet in a drawing.",
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
                "Stride-2 pooling subsamples: a pixel is half a pooled cell, so the maps change "
                "instead of shifting.",
                "Right: subsampling without a low-pass filter aliases (Azulay & Weiss 2019; "
                "Zhang 2019); the convolutions stay equivariant, the subsampling breaks it.",
            ),
            Answer(
                "conv-not-equivariant",
                "Convolution is not equivariant to one-pixel shifts at all, only to shifts by a "
                "whole kernel size of the filter.",
                "At stride 1 convolution is equivariant to every shift (away from the borders); "
                "it is the stride-2 subsampling that only commutes with even shifts.",
            ),
            Answer(
                "pooling-invariant",
                "It cannot happen: max pooling makes every CNN exactly invariant to any shift of "
                "one single pixel of the input.",
                "Pooling is only approximately invariant: a maximum that crosses a window "
                "border changes the pooled value, and several layers compound it.",
            ),
            Answer(
                "overfitting",
                "The network overfitted the training digits' exact positions; training it for "
                "longer on more digits would fix it.",
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
                "It removes high frequencies before subsampling, so small shifts move pooled "
                "values gradually.",
                "Right: a low-pass filter before subsampling is the signal-processing remedy "
                "for aliasing (Zhang 2019); the max is kept, evaluated densely.",
            ),
            Answer(
                "exact-invariance",
                "It makes the whole network exactly invariant to every one-pixel shift of the "
                "input image it is given.",
                "The pooled maps still change under a one-pixel shift, just less abruptly; "
                "exact invariance holds only for shifts by the total stride.",
            ),
            Answer(
                "more-parameters",
                "It adds learned weights that the network can then use to undo any shift of the "
                "input digit that it sees.",
                "The blur is fixed ([1, 2, 1] ⊗ [1, 2, 1] / 16): the anti-aliased CNN has "
                "exactly the parameters of the plain one.",
            ),
            Answer(
                "larger-maps",
                "It keeps larger feature maps than max pooling does, so less of the image is "
                "thrown away in every layer.",
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
