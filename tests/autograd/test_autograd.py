"""The tape: record/pause scopes, grad_req, head gradients, retain_graph, higher order,
autograd.grad, mark_variables, custom Functions and the errors users meet."""
import numpy as np
import pytest

import gluonlite as gl
from gluonlite import autograd, nd
from gluonlite.ops import P


def test_scopes_set_and_restore_flags():
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
        with autograd.predict_mode():
            assert autograd.is_recording() and not autograd.is_training()
    with autograd.record(train_mode=False):
        assert not autograd.is_training()
    with autograd.train_mode():
        assert autograd.is_training() and not autograd.is_recording()
    assert not autograd.is_recording() and not autograd.is_training()
    assert autograd.set_recording(True) is False
    assert autograd.set_recording(False) is True


def test_backward_writes_gradient_and_chain_rule():
    x = nd.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    with autograd.record():
        y = (x * 2 + 1) * x
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 4 * x.asnumpy() + 1)
    assert x.grad.dtype == np.float32


def test_nothing_is_recorded_outside_record_or_inside_pause():
    x = nd.ones((2,))
    x.attach_grad()
    y = x * 2
    assert y._entry is None
    with autograd.record():
        with autograd.pause():
            z = x * 3
    assert z._entry is None
    with pytest.raises(gl.MXNetError, match="record"):
        y.backward()


def test_grad_req_write_overwrites_and_add_accumulates():
    x = nd.ones((3,))
    x.attach_grad()
    w = nd.ones((3,))
    w.attach_grad(grad_req="add")
    for _ in range(3):
        with autograd.record():
            y = x * w * 2
        y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2, 2, 2])
    np.testing.assert_allclose(w.grad.asnumpy(), [6, 6, 6])
    assert w.grad_req == "add" and x.grad_req == "write"
    x.attach_grad("null")
    assert x.grad is None


def test_gradient_buffer_is_updated_in_place():
    x = nd.ones((2,))
    x.attach_grad()
    buf = x.grad
    with autograd.record():
        y = x * 5
    y.backward()
    assert x.grad is buf
    np.testing.assert_allclose(buf.asnumpy(), [5, 5])


def test_head_gradient_and_shape_check():
    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * x
    y.backward(nd.array([1.0, 0.5, 0.0]))
    np.testing.assert_allclose(x.grad.asnumpy(), [2.0, 2.0, 0.0])
    with autograd.record():
        y = x * x
    with pytest.raises(ValueError, match="head gradient shape"):
        y.backward(nd.ones((2,)))


def test_multiple_heads_sum_their_gradients():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        a = x * 3
        b = x * x
    autograd.backward([a, b])
    np.testing.assert_allclose(x.grad.asnumpy(), 3 + 2 * x.asnumpy())


def test_second_backward_through_freed_graph_is_a_clear_error():
    x = nd.ones((2,))
    x.attach_grad()
    with autograd.record():
        y = x * x * 3
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = nd.array([2.0])
    x.attach_grad(grad_req="add")
    with autograd.record():
        y = x * x
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [8.0])


def test_tape_keeps_only_declared_values():
    x = nd.ones((4,))
    x.attach_grad()
    with autograd.record():
        y = x + 1  # add keeps neither input
        z = y * x  # multiply keeps both
    assert all(not isinstance(v, np.ndarray) for v in y._entry[0].ins)
    assert all(isinstance(v, np.ndarray) for v in z._entry[0].ins)


def test_inplace_rebinding_does_not_corrupt_saved_values():
    x = nd.array([3.0])
    x.attach_grad()
    with autograd.record():
        y = x * 1
        z = y * y  # saves y's current values
        y += 10  # rebinding y must not change what z's gradient reads
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [6.0])


def test_inplace_update_of_a_variable_under_record_is_refused():
    x = nd.ones((2,))
    x.attach_grad()
    with autograd.record():
        with pytest.raises(RuntimeError, match="in-place"):
            x += 1


def test_inplace_outside_record_writes_the_same_buffer():
    x = nd.ones((2,))
    data = x._data
    x += 2
    x *= 3
    assert x._data is data
    np.testing.assert_allclose(x.asnumpy(), [9, 9])


def test_grad_returns_gradients_without_touching_dot_grad():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * x * x
    (gx,) = autograd.grad(y, [x])
    np.testing.assert_allclose(gx.asnumpy(), 3 * x.asnumpy() ** 2)
    np.testing.assert_allclose(x.grad.asnumpy(), [0, 0])


def test_second_and_third_derivatives_with_create_graph():
    x = nd.array([0.5, 1.5, -2.0])
    x.attach_grad()
    with autograd.record():
        y = x ** 4
        (g1,) = autograd.grad(y, [x], create_graph=True)
        (g2,) = autograd.grad(g1, [x], create_graph=True)
    g2.backward()
    v = x.asnumpy()
    np.testing.assert_allclose(g1.asnumpy(), 4 * v**3, rtol=1e-6)
    np.testing.assert_allclose(g2.asnumpy(), 12 * v**2, rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), 24 * v, rtol=1e-6)


def test_mixed_second_derivative_through_matmul():
    a = nd.array(np.random.RandomState(0).randn(2, 3), dtype="float64")
    b = nd.array(np.random.RandomState(1).randn(3, 2), dtype="float64")
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = P.sum(P.matmul(a, b) ** 2)
        (ga,) = autograd.grad(y, [a], create_graph=True)
        s = P.sum(ga)
    s.backward()
    # s = sum(2 (A B) B^T), so ds/dB = 2 A^T (1 B) + 2 (A B)^T... in closed form:
    A, B = a.asnumpy(), b.asnumpy()
    ones = np.ones((2, 3))
    expected_b = 2 * (A.T @ (ones @ B)) + 2 * (ones.T @ (A @ B))
    np.testing.assert_allclose(b.grad.asnumpy(), expected_b, rtol=1e-10)


def test_grad_of_unreachable_variable_is_zero():
    x = nd.ones((2,))
    z = nd.ones((2,))
    x.attach_grad()
    z.attach_grad()
    with autograd.record():
        y = x * 2
    gx, gz = autograd.grad(y, [x, z])
    np.testing.assert_allclose(gz.asnumpy(), [0, 0])


def test_grad_with_respect_to_an_intermediate():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        h = x * 3
        y = h * h
    (gh,) = autograd.grad(y, [h])
    np.testing.assert_allclose(gh.asnumpy(), 2 * h.asnumpy())


def test_mark_variables_uses_the_given_buffers():
    x = nd.array([1.0, 2.0])
    gbuf = nd.zeros((2,))
    autograd.mark_variables([x], [gbuf])
    with autograd.record():
        y = x * 7
    y.backward()
    np.testing.assert_allclose(gbuf.asnumpy(), [7, 7])


def test_broadcast_gradients_are_summed_back():
    x = nd.ones((3, 1))
    b = nd.ones((4,))
    x.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = x * b + b
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), np.full((3, 1), 4.0))
    np.testing.assert_allclose(b.grad.asnumpy(), np.full((4,), 6.0))


def test_custom_function():
    class Scale(autograd.Function):
        def forward(self, x, y):
            self.save_for_backward(x, y)
            return x * y

        def backward(self, dz):
            x, y = self.saved_tensors
            return dz * y * 10, dz * x

    x = nd.array([1.0, 2.0])
    y = nd.array([3.0, 4.0])
    x.attach_grad()
    y.attach_grad()
    with autograd.record():
        z = Scale()(x, y)
        w = z * 2
    w.backward()
    np.testing.assert_allclose(z.asnumpy(), [3, 8])
    np.testing.assert_allclose(x.grad.asnumpy(), [60, 80])
    np.testing.assert_allclose(y.grad.asnumpy(), [2, 4])


def test_detach_cuts_the_graph():
    x = nd.array([2.0])
    x.attach_grad()
    with autograd.record():
        y = x * x
        z = y.detach() * x
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [4.0])


def test_stop_gradient_blocks_the_gradient_but_keeps_values():
    x = nd.array([2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = P.stop_gradient(x) * x
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2.0, 3.0])
    assert np.shares_memory(x.detach()._data, x._data)


def test_adopted_gradients_never_alias_each_other_or_the_callers_arrays():
    x1 = nd.array([1.0, 2.0])
    x2 = nd.array([3.0, 4.0])
    x1.attach_grad()
    x2.attach_grad()
    with autograd.record():
        y = (x1 + x2) * 3  # add passes one cotangent array to both leaves
    y.backward()
    assert not np.shares_memory(x1.grad._data, x2.grad._data)
    x1.grad[:] = 0
    np.testing.assert_allclose(x2.grad.asnumpy(), [3, 3])
    head = nd.array([1.0, 1.0])
    with autograd.record():
        z = x1 + 0
    z.backward(head)
    assert not np.shares_memory(x1.grad._data, head._data)
    head[:] = 5
    np.testing.assert_allclose(x1.grad.asnumpy(), [1, 1])
