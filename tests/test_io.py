"""MXNet 1.x data iterators: NDArrayIter's batching modes (values as MXNet 1.9 gives them),
names and descriptors, and the wrapping iterators."""

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import io, nd

DATA = np.arange(20, dtype="f4").reshape(10, 2)
LABEL = np.arange(10)


def _labels(it):
    return [(b.label[0].asnumpy().tolist(), b.pad) for b in it]


def test_pad_fills_from_the_start():
    it = io.NDArrayIter(DATA, LABEL, batch_size=3)
    expected = [([0, 1, 2], 0), ([3, 4, 5], 0), ([6, 7, 8], 0), ([9, 0, 1], 2)]
    assert _labels(it) == expected
    it.reset()
    assert _labels(it) == expected
    tiny = io.NDArrayIter(DATA[:2], LABEL[:2], batch_size=5)
    assert _labels(tiny) == [([0, 1, 0, 1, 0], 3)]


def test_discard_drops_the_incomplete_batch():
    it = io.NDArrayIter(DATA, LABEL, batch_size=3, last_batch_handle="discard")
    assert _labels(it) == [([0, 1, 2], 0), ([3, 4, 5], 0), ([6, 7, 8], 0)]
    with pytest.raises(gl.MXNetError, match="discard"):
        io.NDArrayIter(DATA, LABEL, batch_size=11, last_batch_handle="discard")


def test_roll_over_carries_leftovers_into_the_next_epoch():
    it = io.NDArrayIter(DATA, LABEL, batch_size=3, last_batch_handle="roll_over")
    assert _labels(it) == [([0, 1, 2], 0), ([3, 4, 5], 0), ([6, 7, 8], 0)]
    it.reset()
    assert _labels(it) == [([9, 0, 1], 1), ([2, 3, 4], 0), ([5, 6, 7], 0)]
    it.hard_reset()
    assert _labels(it)[0] == ([0, 1, 2], 0)


def test_batches_keep_rows_together_and_shuffle_covers_everything():
    it = io.NDArrayIter(DATA, LABEL, batch_size=5, shuffle=True)
    seen = []
    for batch in it:
        data, label = batch.data[0].asnumpy(), batch.label[0].asnumpy()
        np.testing.assert_array_equal(data, DATA[label.astype(int)])
        seen += label.tolist()
    assert sorted(seen) == list(range(10))
    it.reset()
    again = [v for b in it for v in b.label[0].asnumpy().tolist()]
    assert sorted(again) == list(range(10)) and again != seen


def test_provide_data_names_and_dtypes():
    it = io.NDArrayIter(DATA, LABEL, batch_size=4)
    assert it.provide_data == [("data", (4, 2))]
    assert it.provide_label == [("softmax_label", (4,))]
    assert it.provide_data[0].dtype == np.float32 and it.provide_label[0].dtype == np.float32
    assert isinstance(it.next().data[0], nd.NDArray)
    several = io.NDArrayIter([DATA, DATA * 2], batch_size=2)
    assert [d.name for d in several.provide_data] == ["_0_data", "_1_data"]
    assert several.provide_label == []
    named = io.NDArrayIter({"b": DATA, "a": DATA}, {"y": LABEL}, batch_size=2, label_name="ignored")
    assert [d.name for d in named.provide_data] == ["a", "b"]
    assert [d.name for d in named.provide_label] == ["y"]
    keep = io.NDArrayIter(nd.array(DATA, dtype="float64"), batch_size=2)
    assert keep.provide_data[0].dtype == np.float64


def test_iterator_protocol_and_errors():
    it = io.NDArrayIter(DATA, LABEL, batch_size=4)
    assert it.iter_next() and it.getpad() == 0
    assert it.getdata()[0].shape == (4, 2) and it.getindex() is None
    assert sum(1 for _ in it) == 2  # the two batches after the one read by iter_next
    with pytest.raises(StopIteration):
        it.next()
    with pytest.raises(gl.MXNetError, match="last_batch_handle"):
        io.NDArrayIter(DATA, batch_size=2, last_batch_handle="keep")
    with pytest.raises(gl.MXNetError, match="differ in length"):
        io.NDArrayIter(DATA, LABEL[:5], batch_size=2)


def test_descriptors_and_batches():
    desc = io.DataDesc("data", (2, 3), layout="NTC")
    assert desc == ("data", (2, 3)) and desc.layout == "NTC"
    assert io.DataDesc.get_batch_axis("TNC") == 1
    assert io.DataDesc.get_list([("x", (1,))], [("x", np.float16)])[0].dtype == np.float16
    batch = io.DataBatch([nd.zeros((2, 3))], [nd.zeros(2)], pad=1)
    assert "(2, 3)" in str(batch)
    with pytest.raises(TypeError):
        io.DataBatch(nd.zeros(1))


def test_resize_and_prefetching_iterators():
    resized = io.ResizeIter(io.NDArrayIter(DATA, LABEL, batch_size=4), 5)
    assert [b.label[0].asnumpy()[0] for b in resized] == [0, 4, 8, 0, 4]
    prefetch = io.PrefetchingIter(io.NDArrayIter(DATA, LABEL, batch_size=4))
    for _ in range(2):
        assert [b.label[0].asnumpy().tolist() for b in prefetch] == [
            [0, 1, 2, 3],
            [4, 5, 6, 7],
            [8, 9, 0, 1],
        ]
        prefetch.reset()
    pair = io.PrefetchingIter(
        [io.NDArrayIter(DATA, batch_size=5), io.NDArrayIter(DATA * 2, batch_size=5)],
        rename_data=[{"data": "a"}, {"data": "b"}],
    )
    assert [d.name for d in pair.provide_data] == ["a", "b"]
    batch = pair.next()
    np.testing.assert_array_equal(batch.data[1].asnumpy(), DATA[:5] * 2)


def test_csv_iter(tmp_path):
    np.savetxt(tmp_path / "x.csv", DATA, delimiter=",")
    np.savetxt(tmp_path / "y.csv", LABEL, delimiter=",")
    it = io.CSVIter(
        data_csv=str(tmp_path / "x.csv"),
        data_shape=(2,),
        label_csv=str(tmp_path / "y.csv"),
        batch_size=4,
    )
    batches = list(it)
    assert len(batches) == 3 and batches[-1].pad == 2
    np.testing.assert_array_equal(batches[0].data[0].asnumpy(), DATA[:4])
    assert batches[1].label[0].asnumpy().tolist() == [4, 5, 6, 7]
