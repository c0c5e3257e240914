"""Every optimizer's update against its MXNet 1.x formula written out in NumPy for two steps
(with weight decay, rescale_grad and an active clip_gradient), in float64 so the comparison is
tight; plus the Optimizer API: create/register, lr/wd multipliers, schedulers, update counts,
index lists and multi-precision float16 updates."""

import math
import warnings

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import nd
from gluonlite import optimizer as opt
from gluonlite.errors import MXNetTypeError, MXNetValueError
from gluonlite.lr_scheduler import FactorScheduler

RG, CLIP, WD = 0.5, 1.0, 0.1
HYPER = {"rescale_grad": RG, "clip_gradient": CLIP, "wd": WD}


def data(seed=0):
    rng = np.random.RandomState(seed)
    w0 = rng.uniform(-1.5, 1.5, (3, 4))
    grads = [rng.normal(0, 3, (3, 4)) for _ in range(2)]  # many entries exceed the clip
    return w0, grads


def run(optimizer, w0, grads, dtype=np.float64):
    """Apply ``optimizer`` through an Updater for each gradient; return the final weight."""
    w = nd.array(w0, dtype=dtype)
    updater = opt.get_updater(optimizer)
    for g in grads:
        updater(0, nd.array(g, dtype=dtype), w)
    return w.asnumpy()


def cg(g):
    """MXNet's gradient preprocessing when weight decay is applied after the clip."""
    return np.clip(RG * g, -CLIP, CLIP)


def cgw(g, w):
    """... and when weight decay enters the gradient before the clip."""
    return np.clip(RG * g + WD * w, -CLIP, CLIP)


# ---- reference updates: one function per optimizer, two steps each ---------------------------
def ref_sgd(w, grads, lr=0.1, momentum=0.9):
    mom = np.zeros_like(w)
    for g in grads:
        mom = momentum * mom - lr * WD * w - lr * cg(g)
        w = w + mom
    return w


def ref_sgd_plain(w, grads, lr=0.1):
    for g in grads:
        w = (1 - lr * WD) * w - lr * cg(g)
    return w


def ref_nag(w, grads, lr=0.1, momentum=0.9):
    mom = np.zeros_like(w)
    for g in grads:
        step = lr * (cg(g) + WD * w)
        mom = momentum * mom - step
        w = w + momentum * mom - step
    return w


def ref_signum(w, grads, lr=0.1, momentum=0.9, wd_lh=0.05):
    mom = np.zeros_like(w)
    for g in grads:
        mom = momentum * mom - (1 - momentum) * (WD * w + cg(g))
        w = (1 - lr * wd_lh) * w + lr * np.sign(mom)
    return w


def ref_signsgd(w, grads, lr=0.1):
    for g in grads:
        w = (1 - lr * WD) * w - lr * np.sign(g)
    return w


def ref_adam(w, grads, lr=0.01, b1=0.9, b2=0.999, eps=1e-8):
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, 1):
        gg = cgw(g, w)
        m = b1 * m + (1 - b1) * gg
        v = b2 * v + (1 - b2) * gg**2
        w = w - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
    return w


def ref_adamw(w, grads, lr=0.01, b1=0.9, b2=0.999, eps=1e-6):
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, 1):
        gg = cg(g)
        m = b1 * m + (1 - b1) * gg
        v = b2 * v + (1 - b2) * gg**2
        eta = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        w = w - eta * (m / (np.sqrt(v) + eps) + WD * w)
    return w


def ref_adamax(w, grads, lr=0.002, b1=0.9, b2=0.999):
    m, u = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, 1):
        gg = cgw(g, w)
        m = b1 * m + (1 - b1) * gg
        u = np.maximum(b2 * u, np.abs(gg))
        w = w - lr / (1 - b1**t) * m / u
    return w


def ref_nadam(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-8, decay=0.004):
    m, v, schedule = np.zeros_like(w), np.zeros_like(w), 1.0
    for t, g in enumerate(grads, 1):
        gg = cgw(g, w)
        mu_t = b1 * (1 - 0.5 * 0.96 ** (t * decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * decay))
        schedule *= mu_t
        m = b1 * m + (1 - b1) * gg
        v = b2 * v + (1 - b2) * gg * gg
        m_bar = (1 - mu_t) * gg / (1 - schedule) + mu_next * m / (1 - schedule * mu_next)
        w = w - lr * m_bar / (np.sqrt(v / (1 - b2**t)) + eps)
    return w


def ref_lamb(
    w, grads, lr=0.01, b1=0.9, b2=0.999, eps=1e-6, lower=None, upper=None, bias_correction=True
):
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, 1):
        gg = cg(g)
        m = b1 * m + (1 - b1) * gg
        v = b2 * v + (1 - b2) * gg**2
        mh, vh = (m / (1 - b1**t), v / (1 - b2**t)) if bias_correction else (m, v)
        r = mh / (np.sqrt(vh) + eps) + WD * w
        r1 = np.linalg.norm(w)
        if lower:
            r1 = max(r1, lower)
        if upper:
            r1 = min(r1, upper)
        r2 = np.linalg.norm(r)
        ratio = 1.0 if r1 == 0 or r2 == 0 else r1 / r2
        w = w - lr * ratio * r
    return w


def ref_ftml(w, grads, lr=0.01, b1=0.6, b2=0.999, eps=1e-8):
    d, v, z = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, 1):
        gg = cgw(g, w)
        v = b2 * v + (1 - b2) * gg**2
        d_t = (1 - b1**t) / lr * (np.sqrt(v / (1 - b2**t)) + eps)
        z = b1 * z + (1 - b1) * gg - (d_t - b1 * d) * w
        d = d_t
        w = -z / d_t
    return w


def ref_adagrad(w, grads, lr=0.1, eps=1e-7):
    h = np.zeros_like(w)
    for g in grads:
        gg = cg(g)
        h = h + gg**2
        w = w - lr * (gg / np.sqrt(h + eps) + WD * w)
    return w


def ref_adadelta(w, grads, rho=0.9, eps=1e-5):
    acc_g, acc_d = np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        gg = cg(g)
        acc_g = rho * acc_g + (1 - rho) * gg**2
        delta = np.sqrt(acc_d + eps) / np.sqrt(acc_g + eps) * gg
        acc_d = rho * acc_d + (1 - rho) * delta**2
        w = w - (delta + WD * w)
    return w


def ref_rmsprop(w, grads, lr=0.01, g1=0.9, eps=1e-8, clip_weights=None):
    n = np.zeros_like(w)
    for g in grads:
        gg = cgw(g, w)
        n = (1 - g1) * gg**2 + g1 * n
        w = w - lr * gg / np.sqrt(n + eps)
        if clip_weights:
            w = np.clip(w, -clip_weights, clip_weights)
    return w


def ref_rmsprop_centered(w, grads, lr=0.01, g1=0.9, g2=0.8, eps=1e-8):
    n, s, delta = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        gg = cgw(g, w)
        n = (1 - g1) * gg**2 + g1 * n
        s = (1 - g1) * gg + g1 * s
        delta = g2 * delta - lr * gg / np.sqrt(n - s**2 + eps)
        w = w + delta
    return w


def ref_ftrl(w, grads, lr=0.1, lamda1=0.01, beta=1.0):
    z, n = np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        gg = cg(g)
        z = z + gg - (np.sqrt(n + gg**2) - np.sqrt(n)) * w / lr
        n = n + gg**2
        w = (np.sign(z) * lamda1 - z) / ((beta + np.sqrt(n)) / lr + WD) * (np.abs(z) > lamda1)
    return w


def ref_dcasgd(w, grads, lr=0.1, momentum=0.9, lamda=0.04):
    mom, prev = np.zeros_like(w), w.copy()
    for g in grads:
        gg = cg(g)
        mom = momentum * mom - lr * (gg + WD * w + lamda * gg * gg * (w - prev))
        prev = w
        w = w + mom
    return w


CASES = [
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9}, ref_sgd),
    ("sgd", {"learning_rate": 0.1}, ref_sgd_plain),
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}, ref_nag),
    ("nag", {"learning_rate": 0.1, "momentum": 0.9}, ref_nag),
    ("nag", {"learning_rate": 0.1}, ref_sgd_plain),
    ("signum", {"learning_rate": 0.1, "momentum": 0.9, "wd_lh": 0.05}, ref_signum),
    ("signum", {"learning_rate": 0.1, "momentum": 0.0}, ref_signsgd),
    ("adam", {"learning_rate": 0.01}, ref_adam),
    ("adamw", {"learning_rate": 0.01}, ref_adamw),
    ("adamax", {}, ref_adamax),
    ("nadam", {}, ref_nadam),
    ("lamb", {"learning_rate": 0.01}, ref_lamb),
    ("lamb", {"learning_rate": 0.01, "lower_bound": 2.0, "upper_bound": 3.0,
              "bias_correction": False},
     lambda w, g: ref_lamb(w, g, lower=2.0, upper=3.0, bias_correction=False)),
    ("ftml", {"learning_rate": 0.01}, ref_ftml),
    ("adagrad", {"learning_rate": 0.1}, ref_adagrad),
    ("adadelta", {}, ref_adadelta),
    ("rmsprop", {"learning_rate": 0.01}, ref_rmsprop),
    ("rmsprop", {"learning_rate": 0.01, "clip_weights": 0.5},
     lambda w, g: ref_rmsprop(w, g, clip_weights=0.5)),
    ("rmsprop", {"learning_rate": 0.01, "centered": True, "gamma2": 0.8}, ref_rmsprop_centered),
    ("ftrl", {}, ref_ftrl),
    ("dcasgd", {"learning_rate": 0.1, "momentum": 0.9}, ref_dcasgd),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "kwargs", "ref"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_update_matches_mxnet_formula(name, kwargs, ref):
    w0, grads = data()
    got = run(opt.create(name, **HYPER, **kwargs), w0, grads)
    np.testing.assert_allclose(got, ref(w0, grads), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop", "lamb"])
def test_float32_update_close_to_float64(name):
    w0, grads = data(1)
    kwargs = {"momentum": 0.9} if name == "sgd" else {}
    want = run(opt.create(name, **HYPER, **kwargs), w0, grads)
    got = run(opt.create(name, **HYPER, **kwargs), w0, grads, dtype=np.float32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_no_clip_when_clip_gradient_is_none_or_nonpositive():
    w0, grads = data()
    plain = run(opt.SGD(learning_rate=0.1, rescale_grad=RG), w0, grads)
    want = w0 - 0.1 * RG * (grads[0] + grads[1])
    np.testing.assert_allclose(plain, want, rtol=1e-12)
    for clip in (0, -1.0):
        got = run(opt.SGD(learning_rate=0.1, rescale_grad=RG, clip_gradient=clip), w0, grads)
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_adamax_zero_gradient_gives_no_step_instead_of_nan():
    w = nd.array(np.ones((2, 2)), dtype=np.float64)
    updater = opt.get_updater(opt.Adamax())
    updater(0, nd.zeros((2, 2), dtype=np.float64), w)
    np.testing.assert_array_equal(w.asnumpy(), np.ones((2, 2)))


def test_nadam_schedule_is_per_parameter():
    """Two parameters updated in one step follow the same schedule as one alone."""
    w0, grads = data()
    o = opt.Nadam(**HYPER)
    updater = opt.get_updater(o)
    a, b = nd.array(w0, dtype=np.float64), nd.array(w0, dtype=np.float64)
    for g in grads:
        gg = nd.array(g, dtype=np.float64)
        updater([0, 1], [gg, gg], [a, b])
    np.testing.assert_allclose(a.asnumpy(), ref_nadam(w0, grads), rtol=1e-10)
    np.testing.assert_allclose(b.asnumpy(), ref_nadam(w0, grads), rtol=1e-10)


def test_sgld_noise_scale():
    gl.random.seed(3)
    lr = 0.01
    w = nd.zeros((200, 200), dtype=np.float64)
    opt.get_updater(opt.SGLD(learning_rate=lr))(0, nd.zeros((200, 200), dtype=np.float64), w)
    assert abs(w.asnumpy().std() - math.sqrt(lr)) < 0.005
    assert abs(w.asnumpy().mean()) < 0.005


def test_test_optimizer():
    w = nd.ones((2,), dtype=np.float64)
    o = opt.create("test", rescale_grad=2.0)
    state = o.create_state(0, w)
    o.update(0, w, nd.ones((2,), dtype=np.float64), state)
    np.testing.assert_array_equal(w.asnumpy(), [3.0, 3.0])
    np.testing.assert_array_equal(state.asnumpy(), [3.0, 3.0])


# ---- the Optimizer API --------------------------------------------------------------------
def test_create_registry_and_aliases():
    assert isinstance(opt.create("SGD", learning_rate=0.1), opt.SGD)
    assert opt.create("sgd", learning_rate=0.1).learning_rate == 0.1
    assert isinstance(opt.create("adagrad"), opt.Adagrad)
    assert opt.Adagrad is opt.AdaGrad and opt.FTRL is opt.Ftrl
    for name in [
        "adam",
        "adamw",
        "nag",
        "rmsprop",
        "adadelta",
        "adamax",
        "nadam",
        "lamb",
        "signum",
        "ftrl",
        "ftml",
        "dcasgd",
        "sgld",
        "ccsgd",
        "test",
    ]:
        assert name in opt.Optimizer.opt_registry
    with pytest.raises(MXNetValueError, match="Cannot find optimizer 'nope'"):
        opt.create("nope")
    with pytest.raises(MXNetTypeError, match="learning_rat"):
        opt.create("sgd", learning_rat=0.1)
    opt.create("sgd", aggregate_num=4, use_fused_step=True)  # MXNet 2 options are accepted


def test_default_learning_rates():
    assert opt.Optimizer().learning_rate == 0.01
    assert opt.SGD().learning_rate == 0.01
    assert opt.Adam().learning_rate == 0.001
    assert opt.RMSProp().learning_rate == 0.001
    assert opt.Adamax().learning_rate == 0.002
    assert opt.Ftrl().learning_rate == 0.1


def test_user_subclass_and_register():
    @opt.register
    class PlainDescent(opt.Optimizer):
        def update(self, index, weight, grad, state):
            self._update_count(index)
            weight[:] = weight - self._get_lr(index) * grad

    o = opt.create("plaindescent", learning_rate=0.5)
    w = nd.ones((3,))
    opt.get_updater(o)(0, nd.ones((3,)), w)
    np.testing.assert_allclose(w.asnumpy(), 0.5)
    assert o.num_update == 1
    with pytest.warns(UserWarning, match="overriding"):
        opt.register(type("PlainDescent", (opt.Optimizer,), {}))
    del opt.Optimizer.opt_registry["plaindescent"]


def test_lr_and_wd_multipliers():
    p = gl.nn.Parameter("w", shape=(2,))
    p.lr_mult, p.wd_mult = 0.5, 3.0
    o = opt.SGD(learning_rate=0.2, wd=0.1, param_dict={0: p})
    assert o._get_lr(0) == pytest.approx(0.1)
    assert o._get_wd(0) == pytest.approx(0.3)
    assert o._get_lr(1) == pytest.approx(0.2)
    o.set_lr_mult({1: 2.0})
    o.set_wd_mult({1: 0.0})
    assert o._get_lr(1) == pytest.approx(0.4) and o._get_wd(1) == 0.0
    named = opt.SGD(wd=0.1, param_idx2name={0: "fc_weight", 1: "fc_bias", 2: "bn_gamma"})
    assert [named._get_wd(i) for i in range(3)] == [0.1, 0.0, 0.1]


def test_scheduler_drives_learning_rate():
    sched = FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    o = opt.SGD(lr_scheduler=sched)
    assert o.learning_rate == 1.0
    w = nd.zeros((1,), dtype=np.float64)
    updater = opt.get_updater(o)
    seen = []
    for _ in range(5):
        updater(0, nd.ones((1,), dtype=np.float64), w)
        seen.append(o.learning_rate)
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.25]
    # the lr used by update k is the schedule at num_update k: 1 + 1 + .5 + .5 + .25
    np.testing.assert_allclose(w.asnumpy(), [-3.25])
    with pytest.raises(UserWarning, match="LRScheduler"):
        o.set_learning_rate(0.1)


def test_learning_rate_overrides_scheduler_base_lr():
    sched = FactorScheduler(step=10, base_lr=1.0)
    with pytest.warns(UserWarning, match="overwritten"):
        o = opt.Adam(lr_scheduler=sched)
    assert sched.base_lr == 0.001 and o.learning_rate == 0.001
    o.lr_scheduler = None
    o.set_learning_rate(0.3)
    assert o.learning_rate == 0.3


def test_update_counts_per_index_and_device():
    o = opt.Adam(begin_num_update=5)
    w, g = nd.zeros((2,)), nd.ones((2,))
    updater = opt.get_updater(o)
    updater([0, 1], [g, g], [w, nd.zeros((2,))])
    updater(0, g, w)
    assert o._index_update_count == {0: 7, 1: 6} and o.num_update == 7
    o._set_current_context(1)
    o._update_count(0)
    assert o._index_update_count == {0: 6}
    assert o._all_index_update_counts[0] == {0: 7, 1: 6} and o.num_update == 7


def test_update_accepts_index_lists():
    w0, grads = data()
    o = opt.SGD(learning_rate=0.1, momentum=0.9, **HYPER)
    ws = [nd.array(w0, dtype=np.float64) for _ in range(2)]
    states = [o.create_state(i, w) for i, w in enumerate(ws)]
    for g in grads:
        gg = nd.array(g, dtype=np.float64)
        o.update([0, 1], ws, [gg, gg], states)
    for w in ws:
        np.testing.assert_allclose(w.asnumpy(), ref_sgd(w0, grads), rtol=1e-10)


@pytest.mark.parametrize(
    ("name", "kwargs"), [("sgd", {"momentum": 0.9}), ("adam", {}), ("sgd", {})]
)
def test_multi_precision_float16(name, kwargs):
    w0, grads = data()
    w0 = w0.astype(np.float16).astype(np.float32)
    grads = [g.astype(np.float16) for g in grads]
    o16 = opt.create(name, multi_precision=True, learning_rate=0.01, **HYPER, **kwargs)
    w16 = nd.array(w0, dtype=np.float16)
    updater = opt.get_updater(o16)
    for g in grads:
        updater(0, nd.array(g, dtype=np.float16), w16)
    master, inner = updater.states[0]
    assert master.dtype == np.float32 and w16.dtype == np.float16
    if inner is not None:
        assert all(s.dtype == np.float32 for s in (inner if isinstance(inner, tuple) else [inner]))
    want = run(
        opt.create(name, learning_rate=0.01, **HYPER, **kwargs),
        w0,
        [g.astype(np.float32) for g in grads],
        dtype=np.float32,
    )
    np.testing.assert_allclose(master.asnumpy(), want, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(w16.asnumpy(), want.astype(np.float16))


def test_float16_without_multi_precision_warns():
    with pytest.warns(UserWarning, match="multi_precision"):
        opt.SGD(momentum=0.9).create_state_multi_precision(0, nd.zeros((2,), dtype=np.float16))


def test_updates_do_not_record_or_allocate_new_weight_buffers():
    w = nd.array(np.ones((4, 4)))
    w.attach_grad()
    buf = w._data
    o = opt.Adam()
    updater = opt.get_updater(o)
    with gl.autograd.record():
        updater(0, nd.ones((4, 4)), w)
    assert w._data is buf
    assert w._entry is not None and type(w._entry[0]).__name__ == "Leaf"
    scratch = {k: v for k, v in o._workspace.items()}
    updater(0, nd.ones((4, 4)), w)
    assert all(o._workspace[k] is v for k, v in scratch.items())


def test_pickle_drops_param_dict_and_scratch():
    import pickle

    p = gl.nn.Parameter("w", shape=(2,))
    o = opt.Adam(param_dict={0: p})
    o._workspace["x"] = np.zeros(3)
    o2 = pickle.loads(pickle.dumps(o))
    assert o2.param_dict == {} and o2._workspace == {} and o2.learning_rate == 0.001
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.SGD()
