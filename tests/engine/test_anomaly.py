"""cr.detect_anomaly() names the first op that produced NaN or inf; ops name themselves and
their inputs' shapes when NumPy rejects those inputs."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own, for log(0)


def test_forward_anomaly_names_the_op_that_made_the_nan():
    x = cr.tensor([1.0, -1.0], requires_grad=True)
    with cr.detect_anomaly(), pytest.raises(FloatingPointError) as caught:
        ((x * 2).log() + 1).sum()
    assert str(caught.value) == (
        "Log forward produced NaN or inf (output of shape (2,)); its inputs were finite"
    )


def test_forward_anomaly_says_when_the_nan_came_in_with_the_data():
    x = cr.tensor([1.0, np.nan])
    with cr.detect_anomaly(), pytest.raises(FloatingPointError, match=r"Mul forward.*already"):
        x * 2


def test_backward_anomaly_names_the_op_whose_gradient_broke():
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    y = x.sqrt().sum()  # finite forward; d sqrt(x)/dx = inf at 0
    with cr.detect_anomaly(), pytest.raises(FloatingPointError) as caught:
        y.backward()
    assert "Sqrt backward produced NaN or inf in the gradient of its input 0" in str(caught.value)
    assert "the gradient it received was finite" in str(caught.value)


def test_anomaly_detection_is_off_by_default_and_restored_after_the_block():
    x = cr.tensor([-1.0])
    assert np.isnan(x.log().item())
    with cr.detect_anomaly():
        pass
    assert np.isnan(x.log().item())


def test_a_model_whose_loss_goes_nan_is_caught_at_the_first_layer_that_overflows():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with cr.no_grad():
        model[0].weight.data[...] = 1e38
    with cr.detect_anomaly(), pytest.raises(FloatingPointError, match=r"^Linear forward"):
        model(cr.tensor([[10.0, 10.0]]))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cr.ones(2, 3) @ cr.ones(2, 3), r"MatMul on inputs of shape \(2, 3\) and \(2, 3\)"),
        (lambda: cr.ones(2, 3) + cr.ones(4), r"Add on inputs of shape \(2, 3\) and \(4,\)"),
        (lambda: cr.ones(6).reshape(4), r"Reshape on inputs of shape \(6,\): cannot reshape"),
        (lambda: cr.cat([cr.ones(2, 3), cr.ones(2, 4)]), r"Concatenate on inputs of shape"),
        (lambda: cr.ones(3)[5], r"GetItem on inputs of shape \(3,\): index 5 is out of bounds"),
    ],
)
def test_an_op_given_inputs_it_cannot_take_names_itself_and_their_shapes(call, message):
    with pytest.raises((ValueError, IndexError), match=message):
        call()
