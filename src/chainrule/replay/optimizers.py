"""The replay forms of the optimizers: SGD (momentum, dampening, Nesterov, weight decay,
maximize) and Adam and AdamW (weight decay coupled or decoupled, AMSGrad, maximize).

Each form writes the update its optimizer makes, over runs of parameters that lie next to
each other in the flat buffers (``flat``) instead of one parameter at a time: every
operation is elementwise, so each number is computed as eager computes it. The
hyperparameters are read from the parameter groups on every call, so a scheduler's
learning rate is the one used; what changes the program (momentum or none, weight decay or
none, Nesterov, AMSGrad, ...) is checked, and a change makes a new capture.
"""

from __future__ import annotations

from typing import Any

from ..optim.adam import Adam, AdamW, adam_step, amsgrad_step
from ..optim.optimizer import effective_grad
from ..optim.sgd import SGD, sgd_momentum_step, sgd_step

_SGD_STATE = ("momentum_buffer",)


def _adam_state(group: dict[str, Any]) -> tuple[str, ...]:
    names = ("exp_avg", "exp_avg_sq")
    return (*names, "max_exp_avg_sq") if group["amsgrad"] else names


class _Form:
    """What the SGD and Adam forms share: the checks on the parameter groups, the reading
    of each group, the versions an update stamps, and the state each parameter needs."""

    @classmethod
    def state_names(cls, group: dict[str, Any]) -> tuple[str, ...]:
        raise NotImplementedError

    @classmethod
    def ready(cls, optimizer: Any) -> bool:
        """Whether every parameter with a gradient has the state its update reads (none
        before the first step with momentum, or of Adam): a step without it makes the
        state, a different program, which a replay never repeats."""
        for group in optimizer.param_groups:
            names = cls.state_names(group)
            for p in group["params"]:
                state = optimizer.state.get(p, {})
                if p.grad is not None and any(state.get(name) is None for name in names):
                    return False
        return True

    @classmethod
    def emit(cls, b: Any, event: Any, store: Any, stepped: list[int]) -> None:
        """Write the step of ``event.optimizer`` for the parameters ``stepped`` (indices
        over all groups) into the replay that ``b`` (a ``build.Builder``) writes."""
        e = b.e
        optimizer = event.optimizer
        holder = e.const(optimizer, "o")
        groups = e.local("groups")
        b.prologue.append(f"{groups} = {holder}.param_groups")
        e.guard(f"len({groups}) == {len(optimizer.param_groups)}")
        states = e.local("states")
        if any(cls.state_names(group) for group in optimizer.param_groups):
            b.prologue.append(f"{states} = {holder}.state")
        first = 0
        for number, group in enumerate(optimizer.param_groups):
            params = group["params"]
            listed = e.const(params, "pl")
            e.guard(f"{groups}[{number}]['params'] is {listed} and len({listed}) == {len(params)}")
            mine = [i for i in stepped if first <= i < first + len(params)]
            first += len(params)
            if not mine:
                continue
            read = e.local("group")
            e.line(f"{read} = {groups}[{number}]")
            for test in cls.program_checks(group):
                held = test.format(g=f"{groups}[{number}]")
                e.guard(f"({held})" if eval_test(test, group) else f"not ({held})")
            per_param = {}
            for index in mine if cls.state_names(group) else ():
                entry = e.local("st")
                b.prologue.append(f"{entry} = {states}.get({e.const(store.params[index], 'p')})")
                checks = [f"{entry} is not None"]
                for name in cls.state_names(group):
                    view = e.const(store.state_view(index, name), "s")
                    checks.append(f"{entry}.get({name!r}) is {view}")
                e.guard(" and ".join(checks))
                per_param[index] = entry
            stamp = e.local("stamp")
            e.line(f"{stamp} = next(_clock)")
            for chunk in {id(store.place[i][0]): store.place[i][0] for i in mine}.values():
                e.line(f"_record_write({e.const(chunk.params, 'flat')}, {stamp}, False)")
            cls.update(b, read, group, store, mine, per_param)

    @classmethod
    def program_checks(cls, group: dict[str, Any]) -> list[str]:
        raise NotImplementedError

    @classmethod
    def update(
        cls, b: Any, read: str, group: dict, store: Any, mine: list[int], per_param: dict
    ) -> None:
        raise NotImplementedError


def eval_test(test: str, group: dict[str, Any]) -> Any:
    """A check of ``program_checks`` evaluated on the group as captured."""
    return eval(test.format(g="group"), {"group": group})


def _slices(e: Any, chunk: Any, start: int, stop: int, kind: str) -> str:
    return e.const(getattr(chunk, kind)[start:stop], kind[0])


def _gradient(b: Any, read: str, group: dict, p: str, g: str, decoupled: bool = False) -> str:
    """The gradient the update follows, as ``effective_grad`` makes it (or, for decoupled
    weight decay, only negated to maximize)."""
    e = b.e
    if decoupled:
        if group["maximize"]:
            name = e.local("d")
            e.line(f"{name} = -{g}")
            return name
        return g
    if group["weight_decay"] or group["maximize"]:
        name = e.local("d")
        e.namespace["_effective_grad"] = effective_grad
        e.line(f"{name} = _effective_grad({p}, {g}, {read}['weight_decay'], {read}['maximize'])")
        return name
    return g


_CHUNK = 32_768
"""Elements of a piece of a long SGD update: its scaled gradient (128 KiB in float32) stays in
the cache between the two passes, where one scratch array as long as the parameters would
go to memory and back (measured on (c)'s 269,322 parameters: 1.07 of the hand-written
epoch in one piece, 1.04 in pieces)."""


def _sgd_in_chunks(e: Any, lr: str, params: Any, grads: Any) -> None:
    """``_sgd_step`` on ``params`` and ``grads`` piece by piece: the same two roundings of
    each element, the views of every piece made once."""
    scratch = e.array_module.empty(_CHUNK, params.dtype)
    pieces = [
        (grads[i : i + _CHUNK], params[i : i + _CHUNK], scratch[: min(_CHUNK, len(params) - i)])
        for i in range(0, len(params), _CHUNK)
    ]
    g, p, s = e.local("g"), e.local("p"), e.local("s")
    e.line(f"for {g}, {p}, {s} in {e.const(pieces, 'pieces')}:")
    e.line(f"    xp.multiply({g}, {lr}, out={s})")
    e.line(f"    xp.subtract({p}, {s}, out={p})")


class SGDForm(_Form):
    """SGD's update (``optim.sgd``), on runs of flat parameters."""

    @classmethod
    def state_names(cls, group: dict[str, Any]) -> tuple[str, ...]:
        return _SGD_STATE if group["momentum"] else ()

    @classmethod
    def program_checks(cls, group: dict[str, Any]) -> list[str]:
        checks = ["{g}['momentum']", "{g}['weight_decay'] or {g}['maximize']"]
        if group["momentum"]:
            checks += ["{g}['nesterov']", "1 - {g}['dampening'] == 1"]
        return checks

    @classmethod
    def update(
        cls, b: Any, read: str, group: dict, store: Any, mine: list[int], per_param: dict
    ) -> None:
        e = b.e
        lr = e.local("lr")
        e.line(f"{lr} = {read}['lr']")
        if group["momentum"]:
            momentum, damping = e.local("momentum"), e.local("damping")
            e.line(f"{momentum} = {read}['momentum']")
            e.line(f"{damping} = 1 - {read}['dampening']")
        plain = not (group["momentum"] or group["weight_decay"] or group["maximize"])
        for chunk, start, stop, _ in store.runs(mine):
            if e.cpu and plain and stop - start > 2 * _CHUNK:
                _sgd_in_chunks(e, lr, chunk.params[start:stop], chunk.grads[start:stop])
                continue
            p, g = _slices(e, chunk, start, stop, "params"), _slices(e, chunk, start, stop, "grads")
            g = _gradient(b, read, group, p, g)
            if not group["momentum"]:
                if e.cpu:  # _sgd_step, with its temporary made once
                    scratch = e.buffer((stop - start,), chunk.dtype)
                    e.line(f"xp.multiply({g}, {lr}, out={scratch})")
                    e.line(f"xp.subtract({p}, {scratch}, out={p})")
                else:
                    e.namespace["_sgd_step"] = sgd_step
                    e.line(f"_sgd_step({g}, {lr}, {p})")
                continue
            buffer = e.const(chunk.state("momentum_buffer")[start:stop], "m")
            if not e.cpu:
                e.namespace["_sgd_momentum_step"] = sgd_momentum_step
                nesterov = f"{read}['nesterov']"
                e.line(
                    f"_sgd_momentum_step({g}, {lr}, {momentum}, {damping}, {nesterov}, {p}, "
                    f"{buffer})"
                )
                continue
            scratch = e.buffer((stop - start,), chunk.dtype)  # _sgd_momentum_step, written out
            e.line(f"xp.multiply({buffer}, {momentum}, out={buffer})")
            if 1 - group["dampening"] == 1:
                e.line(f"xp.add({buffer}, {g}, out={buffer})")
            else:
                e.line(f"xp.multiply({g}, {damping}, out={scratch})")
                e.line(f"xp.add({buffer}, {scratch}, out={buffer})")
            if group["nesterov"]:
                e.line(f"xp.multiply({buffer}, {momentum}, out={scratch})")
                e.line(f"xp.add({g}, {scratch}, out={scratch})")
                e.line(f"xp.multiply({scratch}, {lr}, out={scratch})")
            else:
                e.line(f"xp.multiply({buffer}, {lr}, out={scratch})")
            e.line(f"xp.subtract({p}, {scratch}, out={p})")


class AdamForm(_Form):
    """Adam's and AdamW's update (``optim.adam``), on runs of flat parameters whose step
    counts agree (each has its own count, as in eager, and all move together)."""

    @classmethod
    def state_names(cls, group: dict[str, Any]) -> tuple[str, ...]:
        return _adam_state(group)

    @classmethod
    def program_checks(cls, group: dict[str, Any]) -> list[str]:
        return [
            "{g}['amsgrad']",
            "{g}['maximize']",
            "{g}['decoupled_weight_decay']",
            "{g}['weight_decay']",
        ]

    @classmethod
    def update(
        cls, b: Any, read: str, group: dict, store: Any, mine: list[int], per_param: dict
    ) -> None:
        e = b.e
        names = ("lr", "eps", "weight_decay")
        lr, eps, decay = (e.local(name) for name in ("lr", "eps", "decay"))
        for name, local in zip(names, (lr, eps, decay), strict=True):
            e.line(f"{local} = {read}[{name!r}]")
        beta1, beta2 = e.local("beta1"), e.local("beta2")
        e.line(f"{beta1}, {beta2} = {read}['betas']")
        decoupled = group["decoupled_weight_decay"]
        kernel = amsgrad_step if group["amsgrad"] else adam_step
        e.namespace[f"_{kernel.name}"] = kernel
        optimizer = store.optimizer()
        for chunk, start, stop, indices in _equal_steps(store, optimizer, mine):
            p, g = _slices(e, chunk, start, stop, "params"), _slices(e, chunk, start, stop, "grads")
            step = e.local("step")
            e.line(f"{step} = {per_param[indices[0]]}['step'] + 1")
            for index in indices:
                e.line(f"{per_param[index]}['step'] = {step}")
            if decoupled and group["weight_decay"]:
                e.line(f"xp.multiply({p}, 1 - {lr} * {decay}, out={p})")  # p *= 1 - lr wd
            g = _gradient(b, read, group, p, g, decoupled)
            scale, root = e.local("scale"), e.local("root")
            e.line(f"{scale} = {lr} / (1 - {beta1} ** {step})")
            e.line(f"{root} = (1 - {beta2} ** {step}) ** 0.5")
            moments = [e.const(chunk.state(name)[start:stop], "m") for name in _adam_state(group)]
            e.line(
                f"_{kernel.name}({g}, {scale}, 1 - {beta1}, {beta2}, 1 - {beta2}, {eps}, "
                f"{root}, {p}, {', '.join(moments)})"
            )


def _equal_steps(store: Any, optimizer: Any, indices: list[int]) -> list[tuple]:
    """``store.runs(indices)``, each split where the parameters' Adam step counts differ."""
    runs = []
    for chunk, _, _, members in store.runs(indices):
        part: list[int] = []
        for index in members:
            step = optimizer.state[store.params[index]]["step"]
            if part and optimizer.state[store.params[part[-1]]]["step"] != step:
                runs.append(_run(chunk, store, part))
                part = []
            part.append(index)
        runs.append(_run(chunk, store, part))
    return runs


def _run(chunk: Any, store: Any, indices: list[int]) -> tuple:
    first, last = store.place[indices[0]][1], store.place[indices[-1]][1]
    return chunk, chunk.offsets[first], chunk.offsets[last + 1], indices


OPTIMIZER_FORMS: dict[type, type[_Form]] = {SGD: SGDForm, Adam: AdamForm, AdamW: AdamForm}
"""The optimizers ``cr.compile`` can replay, each with its form; exactly these classes (a
subclass may update otherwise)."""
