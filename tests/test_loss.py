"""Losses against their formulas written out in NumPy (weight, sample_weight, batch_axis,
float labels, from_logits...), CTC against brute-force path enumeration, and gradients
against finite differences."""

import itertools
import math

import numpy as np
import pytest

from gluonlite import autograd, errors, loss, nd

RNG = np.random.RandomState(42)


def _arr(x, dtype="float64"):
    return nd.array(np.asarray(x), dtype=dtype)


def _per_sample(elem, batch_axis):
    """The mean over every axis but ``batch_axis``."""
    axes = tuple(a for a in range(elem.ndim) if a != batch_axis)
    return elem.mean(axis=axes) if axes else elem


def _softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def _log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _signs(shape):
    return np.where(RNG.rand(*shape) > 0.5, 1.0, -1.0)


def _bits(shape):
    return (RNG.rand(*shape) > 0.5).astype(np.float64)


def _probs(shape):
    return RNG.uniform(0.05, 0.95, size=shape)


def _normal(shape):
    return RNG.randn(*shape)


def _counts(shape):
    return RNG.randint(0, 5, size=shape).astype(np.float64)


# (loss class, constructor kwargs, elementwise reference(pred, label), pred maker, label maker)
POINTWISE = [
    (loss.L1Loss, {}, lambda p, y: np.abs(y - p), _normal, _normal),
    (loss.L2Loss, {}, lambda p, y: 0.5 * (y - p) ** 2, _normal, _normal),
    (
        loss.HuberLoss,
        {"rho": 0.7},
        lambda p, y: np.where(np.abs(y - p) > 0.7, np.abs(y - p) - 0.35, (y - p) ** 2 / 1.4),
        _normal,
        _normal,
    ),
    (loss.HingeLoss, {"margin": 0.5}, lambda p, y: np.maximum(0, 0.5 - p * y), _normal, _signs),
    (loss.SquaredHingeLoss, {}, lambda p, y: np.maximum(0, 1 - p * y) ** 2, _normal, _signs),
    (loss.LogisticLoss, {}, lambda p, y: np.log1p(np.exp(-p * y)), _normal, _signs),
    (
        loss.LogisticLoss,
        {"label_format": "binary"},
        lambda p, y: np.log1p(np.exp(-p * (2 * y - 1))),
        _normal,
        _bits,
    ),
    (
        loss.SigmoidBCELoss,
        {},
        lambda p, y: (
            -(y * np.log(1 / (1 + np.exp(-p))) + (1 - y) * np.log(1 - 1 / (1 + np.exp(-p))))
        ),
        _normal,
        _probs,
    ),
    (
        loss.SigmoidBinaryCrossEntropyLoss,
        {"from_sigmoid": True},
        lambda p, y: -(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)),
        _probs,
        _bits,
    ),
    (loss.KLDivLoss, {}, lambda p, y: y * (np.log(y + 1e-12) - p), _normal, _probs),
    (loss.PoissonNLLLoss, {}, lambda p, y: np.exp(p) - y * p, _normal, _counts),
    (
        loss.PoissonNLLLoss,
        {"from_logits": False},
        lambda p, y: p - y * np.log(p + 1e-8),
        _probs,
        _counts,
    ),
    (
        loss.PoissonNLLLoss,
        {"compute_full": True},
        lambda p, y: (
            np.exp(p)
            - y * p
            + np.where(
                y > 1,
                y * np.log(np.maximum(y, 1)) - y + 0.5 * np.log(2 * np.pi * np.maximum(y, 1)),
                0,
            )
        ),
        _normal,
        _counts,
    ),
]


@pytest.mark.parametrize("case", POINTWISE, ids=lambda c: f"{c[0].__name__}{c[1]}")
@pytest.mark.parametrize("batch_axis", [0, 1])
@pytest.mark.parametrize("weighted", [False, True])
def test_pointwise_losses_match_formula(case, batch_axis, weighted):
    klass, kwargs, ref, make_pred, make_label = case
    shape = (3, 4, 2)
    pred, label = make_pred(shape), make_label(shape)
    weight = 0.7 if weighted else None
    sw_shape = [1, 1, 1]
    sw_shape[batch_axis] = shape[batch_axis]
    sample_weight = RNG.rand(*sw_shape) if weighted else None
    fn = (
        klass(weight=weight, batch_axis=batch_axis, **kwargs)
        if weighted
        else klass(batch_axis=batch_axis, **kwargs)
    )
    args = [_arr(pred), _arr(label)] + ([_arr(sample_weight)] if weighted else [])
    out = fn(*args)
    elem = ref(pred, label)
    if weighted:
        elem = elem * sample_weight * weight
    assert out.shape == (shape[batch_axis],)
    np.testing.assert_allclose(out.asnumpy(), _per_sample(elem, batch_axis), rtol=1e-9, atol=1e-12)


def test_l2_default_weight_is_one_and_label_is_reshaped():
    pred = RNG.randn(4, 3)
    label = RNG.randn(12)  # same size, other shape: reshaped like pred
    out = loss.L2Loss()(_arr(pred), _arr(label)).asnumpy()
    np.testing.assert_allclose(out, (0.5 * (label.reshape(4, 3) - pred) ** 2).mean(1))


def test_losses_return_float32_for_float32_inputs_with_integer_labels():
    pred = nd.array(RNG.randn(4, 3))
    label = nd.array(RNG.randint(0, 3, (4, 3)), dtype="int32")
    assert loss.L1Loss()(pred, label).dtype == np.float32
    assert loss.SoftmaxCELoss()(pred, nd.array([0, 1, 2, 1], dtype="int32")).dtype == np.float32


def test_sigmoid_bce_is_stable_for_large_logits():
    pred = _arr([[100.0, -100.0, 0.0]])
    label = _arr([[0.0, 1.0, 1.0]])
    out = loss.SigmoidBCELoss()(pred, label).asnumpy()
    np.testing.assert_allclose(out, [(100 + 100 + math.log(2)) / 3])


@pytest.mark.parametrize("from_sigmoid", [False, True])
def test_sigmoid_bce_pos_weight(from_sigmoid):
    x = RNG.randn(4, 3)
    z = _bits((4, 3))
    pos_weight = RNG.uniform(0.5, 3, size=(1, 3))
    p = 1 / (1 + np.exp(-x))
    eps = 1e-12 if from_sigmoid else 0
    elem = -(pos_weight * z * np.log(p + eps) + (1 - z) * np.log(1 - p + eps))
    pred = _arr(p if from_sigmoid else x)
    fn = loss.SigmoidBCELoss(from_sigmoid=from_sigmoid)
    out = fn(pred, _arr(z), None, _arr(pos_weight))
    np.testing.assert_allclose(out.asnumpy(), elem.mean(1), rtol=1e-9)


def test_softmax_ce_sparse_float_labels():
    pred = RNG.randn(5, 4)
    label = np.array([0, 3, 1, 2, 3], dtype=np.float32)
    out = loss.SoftmaxCrossEntropyLoss()(_arr(pred), nd.array(label))
    expected = -_log_softmax(pred)[np.arange(5), label.astype(int)]
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-9)
    alias = loss.SoftmaxCELoss()(_arr(pred), nd.array(label))
    np.testing.assert_allclose(alias.asnumpy(), expected, rtol=1e-9)


def test_softmax_ce_axis_batch_axis_and_sample_weight():
    pred = RNG.randn(3, 4, 5)  # classes on axis 1, batch on axis 2
    label = RNG.randint(0, 4, (3, 5)).astype(np.float64)
    sample_weight = RNG.rand(1, 1, 5)
    fn = loss.SoftmaxCELoss(axis=1, batch_axis=2, weight=2.0)
    out = fn(_arr(pred), _arr(label), _arr(sample_weight))
    logp = _log_softmax(pred, axis=1)
    picked = np.take_along_axis(logp, label.astype(int)[:, None, :], axis=1)  # (3, 1, 5)
    expected = (-picked * sample_weight * 2.0).mean(axis=(0, 1))
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-9)


def test_softmax_ce_dense_labels_and_from_logits():
    pred = RNG.randn(4, 3)
    dist = RNG.dirichlet(np.ones(3), size=4)
    logp = _log_softmax(pred)
    expected = -(logp * dist).sum(1)
    dense = loss.SoftmaxCELoss(sparse_label=False)(_arr(pred), _arr(dist))
    np.testing.assert_allclose(dense.asnumpy(), expected, rtol=1e-9)
    from_logits = loss.SoftmaxCELoss(sparse_label=False, from_logits=True)(_arr(logp), _arr(dist))
    np.testing.assert_allclose(from_logits.asnumpy(), expected, rtol=1e-9)
    sparse = loss.SoftmaxCELoss(from_logits=True)(_arr(logp), _arr([2, 0, 1, 1]))
    np.testing.assert_allclose(sparse.asnumpy(), -logp[np.arange(4), [2, 0, 1, 1]], rtol=1e-9)


def _fused_ce_case(shape, axis):
    """Logits and float class indices (truncated; out of range now and then, so clipped)."""
    rest = tuple(s for a, s in enumerate(shape) if a != axis % len(shape))
    label = RNG.randint(-1, shape[axis] + 1, rest) + 0.5
    return RNG.randn(*shape), label


@pytest.mark.parametrize(
    "shape, axis, batch_axis", [((5, 4), -1, 0), ((4, 5), 0, -1), ((3, 4, 5), 1, 2), ((3, 4, 5), -1, 0)]
)
def test_softmax_ce_fused_path_matches_formula(shape, axis, batch_axis):
    pred, label = _fused_ce_case(shape, axis)
    x = _arr(pred)
    x.attach_grad()
    fn = loss.SoftmaxCELoss(axis=axis, batch_axis=batch_axis, weight=2.0)
    with autograd.record():
        out = fn(x, _arr(label))
    out.backward()
    n = shape[axis]
    onehot = np.expand_dims(np.clip(label.astype(int), 0, n - 1), axis) == np.expand_dims(
        np.arange(n), tuple(a for a in range(len(shape)) if a != axis % len(shape))
    )
    elem = -2.0 * (_log_softmax(pred, axis) * onehot).sum(axis, keepdims=True)
    np.testing.assert_allclose(out.asnumpy(), _per_sample(elem, batch_axis % len(shape)),
                               rtol=1e-9)
    per_sample = elem.size // out.size  # positions averaged into each sample's loss
    grad = (np.exp(_log_softmax(pred, axis)) - onehot) * 2.0 / per_sample
    np.testing.assert_allclose(x.grad.asnumpy(), grad, rtol=1e-9, atol=1e-12)


def test_softmax_ce_common_case_is_one_fused_primitive():
    from gluonlite import hybrid

    graph = hybrid.trace(loss.SoftmaxCELoss(), _arr(RNG.randn(3, 4)), _arr([1, 0, 3]))
    assert [e.op.name for e in graph.eqns] == ["sparse_softmax_cross_entropy"]
    weighted = hybrid.trace(loss.SoftmaxCELoss(), _arr(RNG.randn(3, 4)), _arr([1, 0, 3]),
                            _arr([[1.0], [2.0], [0.5]]))
    assert "sparse_softmax_cross_entropy" not in [e.op.name for e in weighted.eqns]


def test_softmax_ce_second_order_gradient():
    """create_graph through the fused loss: the gradient of sum(dloss/dpred ** 2) against
    finite differences of that sum."""
    fn = loss.SoftmaxCELoss()
    label = _arr([1, 0, 3])

    def grad_norm(x, create_graph):
        with autograd.record():
            g = autograd.grad(fn(x, label), [x], create_graph=create_graph)[0]
            total = (g * g).sum()
        return total

    pred = RNG.randn(3, 4)
    x = _arr(pred)
    x.attach_grad()
    grad_norm(x, True).backward()
    numeric = np.zeros_like(pred)
    for i in np.ndindex(*pred.shape):
        step = np.zeros_like(pred)
        step[i] = 1e-6
        vals = []
        for sign in (1, -1):
            xi = _arr(pred + sign * step)
            xi.attach_grad()
            vals.append(grad_norm(xi, False).asnumpy().item())
        numeric[i] = (vals[0] - vals[1]) / 2e-6
    np.testing.assert_allclose(x.grad.asnumpy(), numeric, rtol=1e-5, atol=1e-8)


def test_softmax_ce_hybridized_matches_eager():
    pred, label = RNG.randn(6, 5), _arr([0, 4, 2, 2, 1, 3])
    results = []
    for hybridized in (False, True):
        fn = loss.SoftmaxCELoss(weight=0.5)
        if hybridized:
            fn.hybridize(static_alloc=True, static_shape=True)
        for _ in range(3):  # trace, then replays
            x = _arr(pred)
            x.attach_grad()
            with autograd.record():
                out = fn(x, label)
            out.backward()
        results.append((out.asnumpy(), x.grad.asnumpy()))
    for eager, hybrid in zip(*results):
        np.testing.assert_allclose(hybrid, eager, rtol=1e-12)


def test_kldiv_from_logits_false_applies_log_softmax():
    pred, label = RNG.randn(3, 4), RNG.dirichlet(np.ones(4), size=3)
    out = loss.KLDivLoss(from_logits=False, axis=-1)(_arr(pred), _arr(label))
    expected = (label * (np.log(label + 1e-12) - _log_softmax(pred))).mean(1)
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-9)


def test_triplet_loss():
    pred, pos, neg = RNG.randn(4, 3, 2), RNG.randn(4, 3, 2), RNG.randn(4, 6)
    sample_weight = RNG.rand(4)
    out = loss.TripletLoss(margin=0.3, weight=1.5)(
        _arr(pred), _arr(pos), _arr(neg), _arr(sample_weight)
    )
    gap = ((pos - pred) ** 2).sum((1, 2)) - ((neg.reshape(4, 3, 2) - pred) ** 2).sum((1, 2))
    np.testing.assert_allclose(out.asnumpy(), np.maximum(gap + 0.3, 0) * sample_weight * 1.5)


@pytest.mark.parametrize("margin", [0.0, 0.2])
def test_cosine_embedding_loss(margin):
    x1, x2 = RNG.randn(6, 5), RNG.randn(6, 5)
    x2[0] = x1[0] * 2  # cosine 1
    label = np.array([1, -1, 1, -1, -1, 1], dtype=np.float64)
    out = loss.CosineEmbeddingLoss(margin=margin)(_arr(x1), _arr(x2), _arr(label))
    cos = (x1 * x2).sum(1) / (np.linalg.norm(x1, axis=1) * np.linalg.norm(x2, axis=1))
    expected = np.where(label == 1, 1 - cos, np.clip(cos - margin, 0, 1 - margin))
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-9, atol=1e-12)


def test_sdml_loss():
    x1, x2, s = RNG.randn(4, 3), RNG.randn(4, 3), 0.3
    out = loss.SDMLLoss(smoothing_parameter=s)(_arr(x1), _arr(x2))
    dist = ((x1[:, None, :] - x2[None, :, :]) ** 2).sum(2)
    target = np.eye(4) * (1 - s) + (1 - np.eye(4)) * s / 3
    logp = _log_softmax(-dist, axis=1)
    expected = (target * (np.log(target + 1e-12) - logp)).mean(1)
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-9)


# ---- CTC ------------------------------------------------------------------------------------
def _ctc_brute_force(logits, label, blank):
    """-log of the summed probability of every frame path that collapses to ``label``."""
    steps, classes = logits.shape
    prob = np.exp(_log_softmax(logits))
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        collapsed = [k for k, _ in itertools.groupby(path) if k != blank]
        if collapsed == list(label):
            total += np.prod(prob[np.arange(steps), path])
    return -math.log(total)


def test_ctc_matches_brute_force_with_padding_and_repeats():
    steps, classes = 4, 3  # blank = 2
    logits = RNG.randn(3, steps, classes)
    labels = [[0, 1], [1, 1], [0]]  # a repeated label needs a blank between
    padded = np.array([[0, 1], [1, 1], [0, -1]], dtype=np.float32)
    out = loss.CTCLoss()(_arr(logits), nd.array(padded))
    expected = [_ctc_brute_force(logits[i], labels[i], classes - 1) for i in range(3)]
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-9)


def test_ctc_layouts_lengths_and_weights():
    steps, classes = 4, 3
    logits = RNG.randn(2, steps, classes)  # NTC
    label = np.array([[1, 0], [1, 1]], dtype=np.float64)
    pred_lengths, label_lengths = np.array([3, 4.0]), np.array([1, 2.0])
    expected = np.array(
        [
            _ctc_brute_force(logits[0, :3], [1], 2),
            _ctc_brute_force(logits[1], [1, 1], 2),
        ]
    )
    sample_weight = np.array([0.5, 2.0])
    fn = loss.CTCLoss(layout="TNC", label_layout="TN", weight=3.0)
    out = fn(
        _arr(logits.transpose(1, 0, 2)),
        _arr(label.T),
        _arr(pred_lengths),
        _arr(label_lengths),
        _arr(sample_weight),
    )
    np.testing.assert_allclose(out.asnumpy(), expected * sample_weight * 3.0, rtol=1e-9)


def test_ctc_empty_label():
    logits = RNG.randn(1, 3, 3)
    out = loss.CTCLoss()(_arr(logits), _arr([[0, 0]]), None, _arr([0]))
    np.testing.assert_allclose(out.asnumpy(), [_ctc_brute_force(logits[0], [], 2)], rtol=1e-9)


def test_ctc_value_and_gradient_match_torch_on_a_larger_batch():
    torch = pytest.importorskip("torch")
    steps, n, classes, length = 12, 4, 6, 4
    logits = RNG.randn(n, steps, classes)
    label = RNG.randint(0, classes - 1, (n, length)).astype(np.float64)
    pred_lengths = np.array([12, 9, 7, 12.0])
    label_lengths = np.array([4, 3, 1, 2.0])
    pred = _arr(logits)
    pred.attach_grad()
    with autograd.record():
        out = loss.CTCLoss()(pred, _arr(label), _arr(pred_lengths), _arr(label_lengths))
    out.backward()
    logits_t = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.ctc_loss(
        logits_t.log_softmax(-1).transpose(0, 1),
        torch.tensor(label).long(),
        torch.tensor(pred_lengths).long(),
        torch.tensor(label_lengths).long(),
        blank=classes - 1,
        reduction="none",
    )
    expected.sum().backward()
    np.testing.assert_allclose(out.asnumpy(), expected.detach().numpy(), rtol=1e-9)
    np.testing.assert_allclose(pred.grad.asnumpy(), logits_t.grad.numpy(), atol=1e-10)


# ---- gradients ------------------------------------------------------------------------------
def _check_grad(fn, x, *rest, eps=1e-6):
    """d(sum of fn(x, *rest))/dx by autograd vs central finite differences, in float64."""
    xa = _arr(x)
    xa.attach_grad()
    with autograd.record():
        out = fn(xa, *rest)
    out.backward()
    numeric = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        up = fn(_arr(x + step), *rest).asnumpy().sum()
        down = fn(_arr(x - step), *rest).asnumpy().sum()
        numeric[i] = (up - down) / (2 * eps)
    np.testing.assert_allclose(xa.grad.asnumpy(), numeric, rtol=1e-5, atol=1e-8)


def test_softmax_ce_gradient():
    _check_grad(
        loss.SoftmaxCELoss(weight=0.5), RNG.randn(3, 4), nd.array([1, 0, 3]), _arr([1.0, 2.0, 0.5])
    )


def test_sigmoid_bce_gradient_with_pos_weight():
    fn = loss.SigmoidBCELoss()
    _check_grad(fn, RNG.randn(3, 2), _arr(_bits((3, 2))), None, _arr([[2.0, 0.5]]))


def test_huber_and_cosine_gradients():
    _check_grad(loss.HuberLoss(rho=0.5), RNG.randn(3, 3) * 2, _arr(np.zeros((3, 3)) + 0.05))
    _check_grad(
        loss.CosineEmbeddingLoss(), RNG.randn(3, 4), _arr(RNG.randn(3, 4)), _arr([1, -1, 1])
    )


def test_ctc_gradient():
    label = _arr([[0, 1], [1, -1]])
    _check_grad(loss.CTCLoss(), RNG.randn(2, 4, 3), label, _arr([4, 3]))


# ---- blocks, errors, compatibility ----------------------------------------------------------
def test_loss_is_a_hybrid_block_with_mxnet_repr():
    from gluonlite.nn import HybridBlock

    fn = loss.L2Loss()
    assert isinstance(fn, HybridBlock) and isinstance(fn, loss.Loss)
    assert repr(fn) == "L2Loss(batch_axis=0, w=1.0)"
    fn.hybridize()
    np.testing.assert_allclose(fn(_arr([[1.0, 3.0]]), _arr([[0.0, 0.0]])).asnumpy(), [2.5])


def test_user_subclass_in_mxnet_style():
    from gluonlite.loss import Loss, _apply_weighting, _reshape_like

    class CubeLoss(Loss):
        def __init__(self, weight=None, batch_axis=0, **kwargs):
            super().__init__(weight, batch_axis, **kwargs)

        def hybrid_forward(self, F, pred, label, sample_weight=None):
            label = _reshape_like(F, label, pred)
            out = _apply_weighting(F, F.abs(pred - label) ** 3, self._weight, sample_weight)
            return F.mean(out, axis=self._batch_axis, exclude=True)

    out = CubeLoss(weight=2.0)(_arr([[1.0, -2.0]]), _arr([[0.0, 0.0]]))
    np.testing.assert_allclose(out.asnumpy(), [9.0])


def test_bad_arguments_raise_helpful_errors():
    with pytest.raises(ValueError, match="label_format"):
        loss.LogisticLoss(label_format="zero-one")
    with pytest.raises(ValueError, match="layout"):
        loss.CTCLoss(layout="CTN")
    with pytest.raises(TypeError, match="weight must be a number"):
        loss.L1Loss(weight=[1.0])(_arr([[1.0]]), _arr([[0.0]]))
    with pytest.raises(errors.ShapeError, match="label"):
        loss.CTCLoss()(_arr(RNG.randn(2, 3, 3)), _arr([[0, 1, 1]]))
