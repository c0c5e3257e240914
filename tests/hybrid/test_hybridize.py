"""hybridize: traced replays equal eager mode (forward, input and parameter gradients, several
steps), retracing on new signatures, what works inside a traced forward, the control-flow
error, side effects and randomness in the graph, and the memory planner's arena reuse."""
import numpy as np
import pytest

import gluonlite as gl
from gluonlite import autograd, nd, nn
from gluonlite.errors import TracerConversionError
from gluonlite.ops import P


class Affine(nn.HybridBlock):
    def __init__(self, units, act=True):
        super().__init__()
        self.units, self.act = units, act
        self.weight = nn.Parameter("weight", shape=(units, 0), allow_deferred_init=True)
        self.bias = nn.Parameter("bias", shape=(units,), init="zeros")

    def infer_shape(self, x, *args):
        self.weight.shape = (self.units, x.shape[-1])

    def forward(self, x):
        y = nd.dot(x, self.weight.data(x.context), transpose_b=True) + self.bias.data(x.context)
        return nd.relu(y) if self.act else y


def mlp(dtype="float64"):
    net = nn.HybridSequential()
    net.add(Affine(8), Affine(6), Affine(3, act=False))
    net.initialize(gl.init.Xavier())
    net(nd.zeros((1, 5), dtype=dtype))  # finish deferred init
    net.cast(dtype)
    return net


def twin_nets(dtype="float64", **flags):
    eager, hybrid = mlp(dtype), mlp(dtype)
    for pe, ph in zip(eager.collect_params().values(), hybrid.collect_params().values()):
        ph.set_data(pe.data())
    hybrid.hybridize(**flags)
    return eager, hybrid


def train_step(net, x, lr=0.05):
    with autograd.record():
        y = net(x)
        loss = P.sum(y * y)
    loss.backward()
    for p in net.collect_params().values():
        p.data()._data -= lr * p.grad()._data
    return y.asnumpy()


@pytest.mark.parametrize("static_alloc", [False, True])
def test_training_steps_match_eager(static_alloc):
    eager, hybrid = twin_nets(static_alloc=static_alloc)
    rng = np.random.RandomState(0)
    for step in range(4):
        x = nd.array(rng.randn(4, 5), dtype="float64")
        ye, yh = train_step(eager, x), train_step(hybrid, x)
        np.testing.assert_allclose(yh, ye, rtol=1e-10, atol=1e-12)
    for pe, ph in zip(eager.collect_params().values(), hybrid.collect_params().values()):
        np.testing.assert_allclose(ph.data().asnumpy(), pe.data().asnumpy(), rtol=1e-10)


def test_input_gradients_match_and_blocks_nest_in_eager_code():
    eager, hybrid = twin_nets()
    grads = []
    for net in (eager, hybrid):
        for _ in range(2):  # the second call replays the compiled program
            x = nd.array(np.arange(10.0).reshape(2, 5) / 10, dtype="float64")
            x.attach_grad()
            with autograd.record():
                h = x * 2
                y = net(h)
                loss = P.sum(P.exp(y * 0.1))
            loss.backward()
        grads.append(x.grad.asnumpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-10)


def test_prediction_replay_and_retrace_on_new_shape():
    eager, hybrid = twin_nets()
    for batch in (2, 2, 3, 3):
        x = nd.array(np.random.RandomState(batch).randn(batch, 5), dtype="float64")
        np.testing.assert_allclose(hybrid(x).asnumpy(), eager(x).asnumpy(), rtol=1e-12)
    assert hybrid._hybrid_state.traces == 2


def test_graph_is_printable_and_checked():
    _, hybrid = twin_nets()
    hybrid(nd.ones((2, 5), dtype="float64"))
    text = str(hybrid.graph)
    assert "matmul" in text and "relu" in text and text.startswith("{ lambda")
    assert gl.hybrid.trace(hybrid, nd.ones((2, 5), dtype="float64")).check() is not None


class Branchy(nn.HybridBlock):
    def forward(self, x):
        if P.sum(x) > 0:  # data-dependent: cannot be captured
            return x
        return -x


def test_data_dependent_control_flow_is_a_clear_error():
    net = Branchy()
    net.hybridize()
    with pytest.raises(TracerConversionError) as info:
        net(nd.ones((2,)))
    msg = str(info.value)
    assert "test_hybridize.py" in msg and "where" in msg and "hybridize(False)" in msg
    assert isinstance(info.value, TypeError)


class Flexible(nn.HybridBlock):
    """Shapes, slicing, in-place updates, None and scalar arguments, nested outputs."""

    def forward(self, x, extra=None, scale=2.0, pair=(None,)):
        n = x.shape[0]
        y = x * scale
        if n > 2:  # branching on a shape is fine
            y = y + 1
        y += x  # in-place update becomes a pure graph op
        head = y[0]
        out = {"sum": P.sum(y, axis=1), "parts": [head, y[1:]]}
        if extra is not None:
            out["extra"] = extra * 3
        return out, n


def test_flexible_forward_matches_eager():
    eager, hybrid = Flexible(), Flexible()
    hybrid.hybridize()
    x = nd.array(np.arange(12.0).reshape(3, 4))
    for _ in range(2):
        for kwargs in ({}, {"extra": nd.ones((2,))}, {"scale": 3.0}):
            (oe, ne), (oh, nh) = eager(x, **kwargs), hybrid(x, **kwargs)
            assert ne == nh == 3
            np.testing.assert_allclose(oh["sum"].asnumpy(), oe["sum"].asnumpy())
            np.testing.assert_allclose(oh["parts"][1].asnumpy(), oe["parts"][1].asnumpy())
            if "extra" in kwargs:
                np.testing.assert_allclose(oh["extra"].asnumpy(), [3, 3])


class Noisy(nn.HybridBlock):
    def forward(self, x):
        return x * P.random_uniform(low=0.0, high=1.0, shape=x.shape, dtype=x.dtype,
                                    ctx=x.context)


def test_randomness_is_fresh_on_every_replay_and_follows_the_seed():
    net = Noisy()
    net.hybridize()
    x = nd.ones((5,))
    gl.random.seed(3)
    draws = [net(x).asnumpy() for _ in range(3)]
    assert not np.allclose(draws[1], draws[2])
    gl.random.seed(3)
    eager = [Noisy()(x).asnumpy() for _ in range(3)]
    np.testing.assert_allclose(draws, eager)


class Running(nn.HybridBlock):
    """Keeps an exponential moving average of its input's mean, as BatchNorm does."""

    def __init__(self):
        super().__init__()
        self.avg = nn.Parameter("running_mean", shape=(1,), init="zeros", grad_req="null")

    def forward(self, x):
        avg = self.avg.data(x.context)
        P.ema_update(avg, P.reshape(P.sum(x) / x.size, newshape=(1,)), momentum=0.5)
        return x + avg


def test_side_effects_replay_like_eager():
    eager, hybrid = Running(), Running()
    for net in (eager, hybrid):
        net.initialize()
    hybrid.hybridize()
    for v in (2.0, 4.0, 8.0):
        x = nd.full((3,), v)
        np.testing.assert_allclose(hybrid(x).asnumpy(), eager(x).asnumpy())
    np.testing.assert_allclose(hybrid.avg.data().asnumpy(), eager.avg.data().asnumpy())


def test_static_alloc_reuses_one_arena():
    _, hybrid = twin_nets(static_alloc=True)
    x = nd.ones((4, 5), dtype="float64")
    for _ in range(5):
        train_step(hybrid, x)
    prog = hybrid._hybrid_state.last.train
    assert prog.arenas_made == 1
    assert "memory reduced from" in hybrid.memory_report()
    assert prog.plan.planned_bytes <= prog.plan.naive_bytes


def test_retain_graph_and_second_backward():
    _, hybrid = twin_nets()
    x = nd.ones((2, 5), dtype="float64")
    train_step(hybrid, x, lr=0.0)  # trace
    with autograd.record():
        y = P.sum(hybrid(x))
    y.backward(retain_graph=True)
    g1 = hybrid[0].weight.grad().asnumpy().copy()
    y.backward()
    np.testing.assert_allclose(hybrid[0].weight.grad().asnumpy(), g1)


def test_hybridize_false_returns_to_eager():
    _, hybrid = twin_nets()
    hybrid(nd.ones((2, 5), dtype="float64"))
    hybrid.hybridize(False)
    hybrid(nd.ones((2, 5), dtype="float64"))
    assert not hybrid._active


class Scaled(nn.HybridBlock):
    """Reads a Python attribute: hybridize bakes its value in at trace time."""

    def __init__(self):
        super().__init__()
        self.scale = 2.0

    def forward(self, x):
        return P.exp(x * self.scale) + 1


def test_check_mode_passes_when_replay_matches_and_names_the_diverging_op():
    _, hybrid = twin_nets()
    hybrid.hybridize(check=True)
    x = nd.ones((2, 5), dtype="float64")
    for _ in range(2):
        train_step(hybrid, x)
        hybrid(x)
    net = Scaled()
    net.hybridize(check=True)
    net(nd.ones((3,)))
    net(nd.ones((3,)))
    net.scale = 3.0  # the graph still multiplies by 2.0
    with pytest.raises(gl.MXNetError, match="'multiply'"):
        net(nd.ones((3,)))


def test_check_mode_from_the_environment(monkeypatch):
    monkeypatch.setenv("GLUONLITE_HYBRID_CHECK", "1")
    net = Scaled()
    net.hybridize()
    net(nd.ones((3,)))
    net.scale = 5.0
    with pytest.raises(gl.MXNetError, match="differs from eager"):
        net(nd.ones((3,)))


def test_shared_parameter_gradients_add_up_across_hybridized_calls():
    """Each replay may write a parameter's gradient straight into its buffer, but never over a
    contribution another call already made in the same backward."""
    def make():
        a, b = Affine(3, act=False), Affine(3, act=False)
        a.initialize(gl.init.Xavier())
        b.initialize(gl.init.Xavier())
        a(nd.ones((1, 3), dtype="float64"))
        b(nd.ones((1, 3), dtype="float64"))
        for blk in (a, b):
            blk.cast("float64")
        b.share_parameters(a.collect_params())
        return a, b

    x = nd.array(np.random.RandomState(3).randn(2, 3), dtype="float64")
    grads = []
    for hybrid in (False, True):
        a, b = make()
        a.collect_params()["weight"].set_data(np.eye(3) * 0.5)
        if hybrid:
            a.hybridize(static_alloc=True)
            b.hybridize(static_alloc=True)
        for _ in range(3):
            with autograd.record():
                loss = P.sum(a(x) * 2) + P.sum(b(x * x))
            loss.backward()
        grads.append(a.weight.grad().asnumpy().copy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_autograd_grad_through_a_replay_leaves_parameter_gradients_alone():
    """autograd.grad returns gradients instead of writing them: a replay must not compute the
    parameters' gradients into their buffers then."""
    _, hybrid = twin_nets(static_alloc=True)
    x = nd.ones((2, 5), dtype="float64")
    for _ in range(2):
        train_step(hybrid, x, lr=0.0)
    kept = [p.grad().asnumpy().copy() for p in hybrid.collect_params().values()]
    x2 = nd.array(np.random.RandomState(4).randn(2, 5), dtype="float64")
    x2.attach_grad()
    with autograd.record():
        loss = P.sum(hybrid(x2) * 3)
    (gx,) = autograd.grad(loss, [x2])
    assert gx.shape == (2, 5)
    for p, before in zip(hybrid.collect_params().values(), kept):
        np.testing.assert_array_equal(p.grad().asnumpy(), before)


def test_replay_dropped_without_backward_returns_its_arena():
    _, hybrid = twin_nets(static_alloc=True)
    x = nd.ones((2, 5), dtype="float64")
    for _ in range(3):
        train_step(hybrid, x)
    for _ in range(3):  # recorded replays whose outputs are dropped unused
        with autograd.record():
            hybrid(x)
    train_step(hybrid, x)
    assert hybrid._hybrid_state.last.train.arenas_made == 1


class _Pair(nn.HybridBlock):
    """Two inputs, two outputs: (a * b + a, a - b)."""

    def forward(self, a, b):
        return a * b + a, a - b


def test_one_array_passed_twice_and_then_two_arrays():
    net = _Pair()
    net.hybridize()
    x = nd.array([1.0, 2.0, 3.0], dtype="float64")
    y = nd.array([4.0, 5.0, 6.0], dtype="float64")
    x.attach_grad()
    for _ in range(2):  # trace, then replay
        with autograd.record():
            p, q = net(x, x)
            P.sum(p + q).backward()
        np.testing.assert_array_equal(p.asnumpy(), [2.0, 6.0, 12.0])
        np.testing.assert_array_equal(x.grad.asnumpy(), 2 * x.asnumpy() + 1)  # d(x*x + x)/dx
    p, q = net(x, y)  # distinct arrays: not the aliased program
    np.testing.assert_array_equal(p.asnumpy(), [5.0, 12.0, 21.0])
    np.testing.assert_array_equal(q.asnumpy(), [-3.0, -3.0, -3.0])


def test_dropped_outputs_hand_the_arena_back_without_garbage_collection():
    import gc

    net = _Pair()
    net.hybridize(static_alloc=True)
    a, b = nd.ones((4, 3), dtype="float64"), nd.ones((4, 3), dtype="float64")
    a.attach_grad()
    gc.disable()
    try:
        for _ in range(4):  # recorded calls whose outputs are dropped without a backward
            with autograd.record():
                p, q = net(a, b)
            del p, q
    finally:
        gc.enable()
    assert net._hybrid_state.last.train.arenas_made == 1


class _Literals(nn.HybridBlock):
    """Same values, different literals: CSE must keep them apart."""

    def forward(self, x):
        return 1.0 / (x * 0.0), 1.0 / (x * -0.0), x + True, x + 1


def test_cse_keeps_literals_of_other_types_and_signs_apart():
    net = _Literals()
    x = nd.array([1.0, 2.0])
    with np.errstate(divide="ignore"):
        eager = [o.asnumpy() for o in net(x)]
        net.hybridize()
        net(x)
        replay = [o.asnumpy() for o in net(x)]
    for a, b in zip(eager, replay):
        np.testing.assert_array_equal(a, b)
    assert replay[0][0] == np.inf and replay[1][0] == -np.inf
