"""The affine map of a dense layer, fused: y = x @ W.T + b in one op; and the same map fused
with the elementwise activation after it, which ``nn.Sequential`` runs as one op."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import xp_of
from ..function import AnomalyMode, Function, check_backward, check_forward
from .activation import LeakyReLU, ReLU, Sigmoid
from .elementwise import Tanh

_FORMULA = "dx = {g} @ W;  dW = {g}.T @ x;  db = sum of {g} over the batch"


def affine(ctx: Function, x: Any, weight: Any, bias: Any) -> Any:
    """x @ weight.T + bias, saving x only for the weight's gradient and the weight only for
    x's, as PyTorch saves them: ``ctx.saved_tensors`` starts (x or None, weight or None)."""
    needs = ctx.needs_input_grad  # empty when the call is not recorded
    if needs:
        ctx.save_for_backward(x if needs[1] else None, weight if needs[0] else None)
    y = x @ weight.T
    if bias is not None:
        y += bias
    return y


def affine_backward(ctx: Function, g: Any) -> tuple[Any, Any, Any]:
    """The gradients of x, the weight and the bias from g, the gradient of ``affine``'s
    result, with what ``affine`` saved."""
    x, weight = ctx.saved_tensors[:2]
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    gx = g @ weight if need_x else None
    if g.ndim != 2:  # a batch with extra dimensions (or none): flatten it to rows
        g = g.reshape(-1, g.shape[-1])
        x = x.reshape(-1, x.shape[-1]) if need_w else None
    gw = g.T @ x if need_w else None
    gb = xp_of(g).add.reduce(g, axis=0) if need_b else None  # g.sum(axis=0), unwrapped
    return gx, gw, gb


class Linear(Function):
    """y = x @ weight.T + bias;  x (..., in) -> y (..., out), weight (out, in), bias (out,)."""

    formula = _FORMULA.format(g="g")

    @staticmethod
    def forward(ctx: Function, x: Any, weight: Any, bias: Any) -> Any:
        return affine(ctx, x, weight, bias)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any, Any]:
        return affine_backward(ctx, g)

    @staticmethod
    def replay_forward(e: Any, op: Any) -> None:
        """``cr.compile``'s replay of forward (``chainrule.replay``): the same product and
        sum, written into a buffer made once."""
        x, weight, bias = (e.arg(op, i) for i in range(3))
        y = e.buffer(op.out.shape, op.out.dtype)
        e.line(f"xp.matmul({x}, {e.view(weight, '.T')}, out={y})")
        if bias != "None":
            e.line(f"xp.add({y}, {bias}, out={y})")
        e.out(op, y)

    @staticmethod
    def replay_backward(e: Any, op: Any, g: str, into: list, grads: list) -> list:
        """The replay of backward: the same three products, each into ``into`` or a buffer."""
        x, weight, _ = (e.arg(op, i) for i in range(3))
        need_x, need_w, need_b = op.needs
        out = [into[i] or (grads[i] and e.buffer(*grads[i])) for i in range(3)]
        if need_x:
            e.line(f"xp.matmul({g}, {weight}, out={out[0]})")
        if op.out.array.ndim != 2:
            g = e.view(g, f".reshape(-1, {op.out.shape[-1]})")
            x = e.view(x, f".reshape(-1, {op.args[0].shape[-1]})")
        if need_w:
            e.line(f"xp.matmul({e.view(g, '.T')}, {x}, out={out[1]})")
        if need_b:
            e.line(f"xp.add.reduce({g}, axis=0, out={out[2]})")
        return [out[0] if need_x else None, out[1] if need_w else None, out[2] if need_b else None]


class LinearActivation(Function):
    """y = activation(x @ weight.T + bias) in one op: a ``Linear`` layer and the activation
    after it, with the values and gradients of the two ops, bit for bit, and one node,
    one output tensor and one step of the backward walk fewer. The affine map's result z
    is not kept (nothing else can use it); the activation saves what its own op saves.

    A subclass names its ``activation``, an op of one input (and constants after it, as
    LeakyReLU's slope) whose backward reads the last of ``ctx.saved_tensors``. Under
    ``detect_anomaly`` each half is checked as its own op, with its own name.
    """

    activation: type[Function]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # cr.compile reads only a class's own replay forms (replay.capture.replay_form): every
        # fused op is replayed as its two halves are.
        cls.replay_forward = staticmethod(_replay_fused_forward)
        cls.replay_backward = staticmethod(_replay_fused_backward)

    @classmethod
    def forward(cls, ctx: Function, x: Any, weight: Any, bias: Any, *args: Any) -> Any:
        z = affine(ctx, x, weight, bias)
        kept = ctx.saved_tensors
        if AnomalyMode.enabled:
            check_forward(Linear, z, [x, weight, bias])
        y = cls.activation.forward(ctx, z, *args)
        if AnomalyMode.enabled:
            check_forward(cls.activation, y, [z])
        ctx.saved_tensors = kept + ctx.saved_tensors
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, ...]:
        dz = type(ctx).activation.backward(ctx, g)
        if type(dz) is tuple:  # an activation with constants: the gradient of its input
            dz = dz[0]
        if AnomalyMode.enabled:
            check_backward(type(ctx).activation, g, (dz,))
        grads = affine_backward(ctx, dz)
        if AnomalyMode.enabled:
            check_backward(Linear, dz, grads)
        return grads + (None,) * (len(ctx.needs_input_grad) - 3)


def _replay_fused_forward(e: Any, op: Any) -> None:
    """``cr.compile``'s replay of a fused op's forward: ``Linear``'s form, then the
    activation's on the affine map's result. An op whose halves would leave a float dtype
    or an empty batch to calling forward is replayed by calling the fused op's."""
    dtypes = {getattr(v, "dtype", None) for v in op.args[:2]}
    floats = op.out.dtype in (np.float32, np.float64)
    if dtypes != {op.out.dtype} or not floats or not op.out.array.size:
        e.call_forward(op)
        return
    linear = e.part(op, Linear, op.args[:3], op.needs[:3])
    Linear.replay_forward(e, linear)
    activation = op.cls.activation
    act = e.part(op, activation, [linear.out, *op.args[3:]], (True,), out=op.out)
    activation.replay_forward(e, act)
    op.saved["parts"] = (linear, act)


def _replay_fused_backward(e: Any, op: Any, g: str, into: list, grads: list) -> list:
    """The replay of a fused op's backward: the activation's form, then ``Linear``'s."""
    linear, act = op.saved["parts"]
    dz = act.cls.replay_backward(e, act, g, [None], [(op.out.shape, op.out.dtype)])[0]
    return Linear.replay_backward(e, linear, dz, into[:3], grads[:3]) + [None] * (len(op.args) - 3)


def _fused_formula(activation: type[Function]) -> str:
    """The activation's derivative at its input z, then the affine map's from that."""
    return f"{activation.formula.replace('x', 'z')};  {_FORMULA.format(g='dz')}"


class LinearSigmoid(LinearActivation):
    """y = sigmoid(x @ weight.T + bias)"""

    activation = Sigmoid
    formula = _fused_formula(Sigmoid)


class LinearReLU(LinearActivation):
    """y = max(x @ weight.T + bias, 0)"""

    activation = ReLU
    formula = _fused_formula(ReLU)


class LinearTanh(LinearActivation):
    """y = tanh(x @ weight.T + bias)"""

    activation = Tanh
    formula = _fused_formula(Tanh)


class LinearLeakyReLU(LinearActivation):
    """y = leaky_relu(x @ weight.T + bias, slope)"""

    activation = LeakyReLU
    formula = _fused_formula(LeakyReLU)
