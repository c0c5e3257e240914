"""Metrics against hand computations (MXNet's documented values where it gives them), local vs
global statistics, composites, custom metrics and ``create`` by name."""

import math

import numpy as np
import pytest

from gluonlite import metric, nd

PROBS = nd.array([[0.3, 0.7], [0, 1.0], [0.4, 0.6]])
LABELS = nd.array([0, 1, 1])


def test_accuracy_scores_labels_and_axis():
    acc = metric.Accuracy()
    acc.update([LABELS], [PROBS])
    assert acc.get() == ("accuracy", pytest.approx(2 / 3))
    # predictions already shaped like the labels are class indices; NumPy input works
    acc.update(np.array([1, 2, 3]), np.array([1.0, 2.0, 0.0]))
    assert acc.get()[1] == pytest.approx(4 / 6)
    assert (acc.sum_metric, acc.num_inst) == (4, 6)
    # classes on axis 1 of (N, C, T) scores
    scores = np.zeros((2, 3, 4))
    scores[0, 2, :] = 1
    scores[1, 1, :2] = 1
    seq = metric.Accuracy(axis=1)
    seq.update(nd.array([[2, 2, 2, 2], [1, 1, 1, 1]]), nd.array(scores))
    assert seq.get()[1] == pytest.approx(6 / 8)


def test_local_and_global_statistics():
    acc = metric.create("acc")
    assert math.isnan(acc.get()[1])
    acc.update(LABELS, PROBS)
    acc.reset_local()
    assert math.isnan(acc.get()[1])
    acc.update(nd.array([1]), nd.array([[0.1, 0.9]]))
    assert acc.get()[1] == 1.0
    assert acc.get_global() == ("accuracy", pytest.approx(3 / 4))
    assert acc.get_global_name_value() == [("accuracy", pytest.approx(3 / 4))]
    acc.reset()
    assert math.isnan(acc.get_global()[1])


def test_top_k_accuracy():
    scores = nd.array([[0.1, 0.5, 0.3, 0.2], [0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4]])
    labels = nd.array([2, 3, 0])  # 2 is 2nd best (hit), 3 is last (miss), 0 is last (miss)
    top2 = metric.TopKAccuracy(top_k=2)
    top2.update([labels], [scores])
    assert top2.get() == ("top_k_accuracy_2", pytest.approx(1 / 3))
    top9 = metric.create("top_k_accuracy", top_k=9)  # more than the classes: all hit
    top9.update(labels, scores)
    assert top9.get()[1] == 1.0
    with pytest.raises(ValueError, match="top_k"):
        metric.TopKAccuracy(top_k=1)


def _binary_batch(tp, fp, fn, tn):
    """Class scores and labels with the given confusion counts."""
    pos, neg = [0.3, 0.7], [0.7, 0.3]
    preds = [pos] * fp + [neg] * tn + [neg] * fn + [pos] * tp
    labels = [0.0] * (fp + tn) + [1.0] * (fn + tp)
    return nd.array(labels), nd.array(preds)


def _f1(tp, fp, fn):
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return 2 * precision * recall / (precision + recall)


def test_f1_and_mcc_match_mxnet_documented_values():
    labels, preds = _binary_batch(tp=10000, fp=1000, fn=1, tn=1)
    f1, mcc = metric.F1(), metric.MCC()
    f1.update([labels], [preds])
    mcc.update([labels], [preds])
    assert f1.get() == ("f1", pytest.approx(0.95233560306652054))
    assert mcc.get() == ("mcc", pytest.approx(0.01917751877733392))
    simple = metric.create("f1")
    simple.update([LABELS], [PROBS])
    assert simple.get()[1] == pytest.approx(0.8)


def test_f1_macro_averages_batches_and_micro_pools_them():
    batches = [(3, 1, 2, 4), (1, 2, 0, 5)]
    macro, micro = metric.F1(), metric.F1(average="micro")
    mcc_micro = metric.MCC(average="micro")
    for counts in batches:
        labels, preds = _binary_batch(*counts)
        for m in (macro, micro, mcc_micro):
            m.update([labels], [preds])
    assert macro.get()[1] == pytest.approx((_f1(3, 1, 2) + _f1(1, 2, 0)) / 2)
    assert micro.get()[1] == pytest.approx(_f1(4, 3, 2))
    tp, fp, fn, tn = 4, 3, 2, 9
    expected = (tp * tn - fp * fn) / math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    assert mcc_micro.get()[1] == pytest.approx(expected)
    micro.reset_local()
    labels, preds = _binary_batch(2, 0, 0, 1)
    micro.update(labels, preds)
    assert micro.get()[1] == pytest.approx(1.0)
    assert micro.get_global()[1] == pytest.approx(_f1(6, 3, 2))


def test_binary_metrics_reject_more_than_two_classes():
    with pytest.raises(ValueError, match="two classes"):
        metric.F1().update(nd.array([0, 1, 2]), nd.array(np.eye(3)))


def test_pcc_equals_mcc_on_binary_and_one_when_perfect():
    labels, preds = _binary_batch(tp=10000, fp=1000, fn=1, tn=1)
    pcc = metric.PCC()
    pcc.update(labels, preds)
    assert pcc.get() == ("pcc", pytest.approx(0.01917751877733392))
    multi = metric.create("pcc")
    multi.update(nd.array([0, 3, 1, 2]), nd.array(np.eye(4)[[0, 3, 1, 2]]))  # grows to 4 classes
    assert multi.get()[1] == pytest.approx(1.0)


def test_cross_entropy_and_nll():
    expected = -(math.log(0.3) + math.log(1.0) + math.log(0.6)) / 3
    for name, display in [("ce", "cross-entropy"), ("nll_loss", "nll-loss")]:
        m = metric.create(name)
        m.update([LABELS], [PROBS])
        assert m.get() == (display, pytest.approx(expected))


def test_perplexity_ignore_label_and_axis():
    perp = metric.Perplexity(ignore_label=None)
    perp.update([LABELS], [PROBS])
    assert perp.get() == ("perplexity", pytest.approx(1.7710976285155853))
    ignore = metric.Perplexity(ignore_label=1)
    ignore.update([LABELS], [PROBS])  # only the first sample counts
    assert ignore.get()[1] == pytest.approx(1 / 0.3)
    probs = np.array([[[0.2, 0.5], [0.8, 0.5]]])  # (N=1, C=2, T=2), classes on axis 1
    along = metric.Perplexity(ignore_label=None, axis=1)
    along.update(nd.array([[1, 0]]), nd.array(probs))
    assert along.get()[1] == pytest.approx(math.exp(-(math.log(0.8) + math.log(0.5)) / 2))


def test_regression_metrics_average_over_batches():
    preds = nd.array(np.array([3, -0.5, 2, 7]).reshape(4, 1))
    labels = nd.array(np.array([2.5, 0.0, 2, 8]))
    for name, expected in [("mae", 0.5), ("mse", 0.375), ("rmse", 0.612372457981)]:
        m = metric.create(name)
        m.update([labels], [preds])
        assert m.get() == (name, pytest.approx(expected))
    mse = metric.MSE()
    mse.update([nd.array([1.0, 1.0])], [nd.array([1.0, 3.0])])  # batch mse 2
    mse.update([nd.array([0.0])], [nd.array([1.0])])  # batch mse 1
    assert mse.get()[1] == pytest.approx(1.5)


def test_pearson_macro_and_micro():
    pr = metric.create("pearsonr")
    pr.update([nd.array([[1, 0], [0, 1], [0, 1]])], [PROBS])
    assert pr.get() == ("pearsonr", pytest.approx(0.42163704544016178))
    rng = np.random.RandomState(3)
    xs = [rng.randn(5), rng.randn(7), rng.randn(4)]
    ys = [x * 0.5 + rng.randn(x.size) for x in xs]
    macro, micro = metric.PearsonCorrelation(), metric.PearsonCorrelation(average="micro")
    for x, y in zip(xs, ys):
        macro.update(nd.array(y), nd.array(x))
        micro.update(nd.array(y), nd.array(x))
    per_batch = [np.corrcoef(np.float32(x), np.float32(y))[0, 1] for x, y in zip(xs, ys)]
    assert macro.get()[1] == pytest.approx(np.mean(per_batch), rel=1e-6)
    pooled = np.corrcoef(np.float32(np.concatenate(xs)), np.float32(np.concatenate(ys)))[0, 1]
    assert micro.get()[1] == pytest.approx(pooled, rel=1e-6)
    micro.reset_local()
    micro.update(nd.array(ys[0]), nd.array(xs[0]))
    assert micro.get()[1] == pytest.approx(per_batch[0], rel=1e-6)
    everything = np.float32(np.concatenate(xs + xs[:1])), np.float32(np.concatenate(ys + ys[:1]))
    assert micro.get_global()[1] == pytest.approx(np.corrcoef(*everything)[0, 1], rel=1e-6)


def test_loss_metric_is_the_mean_of_the_losses():
    m = metric.Loss()
    m.update(None, nd.array([1.0, 2.0, 3.0]))
    m.update(None, [nd.array([6.0])])
    assert m.get() == ("loss", pytest.approx(3.0))


def test_composite_metric():
    comp = metric.CompositeEvalMetric()
    comp.add(metric.Accuracy())
    comp.add("f1")
    comp.update(labels=[LABELS], preds=[PROBS])
    assert comp.get() == (["accuracy", "f1"], [pytest.approx(2 / 3), pytest.approx(0.8)])
    assert comp.get_name_value() == [("accuracy", pytest.approx(2 / 3)), ("f1", 0.8)]
    assert isinstance(comp.get_metric(1), metric.F1)
    with pytest.raises(ValueError, match="out of range"):
        comp.get_metric(5)
    comp.reset_local()
    assert math.isnan(comp.get()[1][0])
    assert comp.get_global()[1][0] == pytest.approx(2 / 3)
    comp.reset()
    assert math.isnan(comp.get_global()[1][0])


def test_create_by_names_lists_dicts_classes_and_functions():
    registered = {
        "acc": metric.Accuracy,
        "accuracy": metric.Accuracy,
        "top_k_accuracy": metric.TopKAccuracy,
        "f1": metric.F1,
        "mae": metric.MAE,
        "mse": metric.MSE,
        "rmse": metric.RMSE,
        "ce": metric.CrossEntropy,
        "nll_loss": metric.NegativeLogLikelihood,
        "perplexity": metric.Perplexity,
        "pearsonr": metric.PearsonCorrelation,
        "loss": metric.Loss,
        "mcc": metric.MCC,
        "composite": metric.CompositeEvalMetric,
        "Accuracy": metric.Accuracy,
    }
    kwargs = {"top_k_accuracy": {"top_k": 3}}
    for name, klass in registered.items():
        assert type(metric.create(name, **kwargs.get(name, {}))) is klass
    comp = metric.create(["acc", metric.MSE(), lambda label, pred: 1.0])
    assert [type(m) for m in comp.metrics] == [metric.Accuracy, metric.MSE, metric.CustomMetric]
    assert type(metric.create(metric.RMSE)) is metric.RMSE
    same = metric.MAE()
    assert metric.create(same) is same
    with pytest.raises(ValueError, match="registered names"):
        metric.create("no-such-metric")


def test_get_config_round_trips_through_create():
    acc = metric.Accuracy(axis=2, name="my-acc")
    again = metric.create(**acc.get_config())
    assert (type(again), again.axis, again.name) == (metric.Accuracy, 2, "my-acc")
    comp = metric.CompositeEvalMetric([acc, metric.MSE()])
    rebuilt = metric.create(**comp.get_config())
    assert [m.name for m in rebuilt.metrics] == ["my-acc", "mse"]


def test_custom_metric_and_np_decorator():
    preds = [nd.array(np.array([3, -0.5, 2, 7]).reshape(4, 1))]
    labels = [nd.array(np.array([2.5, 0.0, 2, 8]).reshape(4, 1))]
    lam = metric.CustomMetric(feval=lambda x, y: (x + y).mean())
    lam.update(labels, preds)
    assert lam.get() == ("custom(<lambda>)", pytest.approx(6.0))

    def mean_abs(label, pred):
        assert isinstance(label, np.ndarray) and isinstance(pred, np.ndarray)
        return np.abs(label - pred).sum(), label.size

    m = metric.np(mean_abs)
    m.update(labels, preds)
    assert m.get() == ("mean_abs", pytest.approx(0.5))
    extra = metric.CustomMetric(mean_abs, name="extra", allow_extra_outputs=True)
    extra.update(labels, preds + [nd.zeros((2, 2))])
    assert extra.get()[1] == pytest.approx(0.5)
    with pytest.raises(NotImplementedError):
        m.get_config()


def test_update_dict_selects_by_name():
    acc = metric.Accuracy(output_names=["prob"], label_names=["y"])
    acc.update_dict({"y": LABELS, "other": nd.array([5])}, {"prob": PROBS, "x": nd.zeros((1,))})
    assert acc.get()[1] == pytest.approx(2 / 3)


def test_check_label_shapes_and_str():
    with pytest.raises(ValueError, match="does not match"):
        metric.check_label_shapes([1, 2], [1])
    with pytest.raises(ValueError, match="does not match"):
        metric.check_label_shapes(np.zeros((2, 3)), np.zeros((3, 2)), shape=True)
    labels, preds = metric.check_label_shapes(LABELS, PROBS, wrap=True)
    assert labels[0] is LABELS and preds[0] is PROBS
    with pytest.raises(ValueError, match="does not match"):
        metric.Accuracy().update([LABELS, LABELS], [PROBS])
    acc = metric.Accuracy()
    acc.update(LABELS, PROBS)
    assert str(acc) == f"EvalMetric: {{'accuracy': {2 / 3}}}"
