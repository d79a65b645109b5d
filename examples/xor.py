"""Seed 003 in chainrule: a single-layer perceptron cannot learn XOR; a multilayer one can.

The program follows the PyTorch lab of seed 003 line for line, with ``torch`` replaced by
``chainrule``: BCE loss, plain SGD with learning rate 1, 10,001 steps on the four points.

    python examples/xor.py
"""

import chainrule as cr
from chainrule import nn, optim

X = cr.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=cr.float32)
Y = cr.tensor([[0], [1], [1], [0]], dtype=cr.float32)


def perceptron() -> nn.Module:
    """One linear unit and a sigmoid: its decision boundary is a single straight line."""
    return nn.Sequential(nn.Linear(2, 1, bias=True), nn.Sigmoid())


def multilayer_perceptron() -> nn.Module:
    """Two hidden sigmoid units, then one output unit: two lines, combined."""
    return nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())


def train(model: nn.Module, steps: int = 10_001, report_every: int = 0) -> float:
    """Train ``model`` on XOR and return the final cost."""
    criterion = nn.BCELoss()
    optimizer = optim.SGD(model.parameters(), lr=1)
    for step in range(steps):
        optimizer.zero_grad()
        cost = criterion(model(X), Y)
        cost.backward()
        optimizer.step()
        if report_every and step % report_every == 0:
            print(f"  step {step:>5}  cost {cost.item():.6f}")
    return cost.item()


def evaluate(model: nn.Module) -> tuple[list[float], float]:
    """The model's outputs on the four points, and its accuracy."""
    with cr.no_grad():
        hypothesis = model(X)
        predicted = (hypothesis > 0.5).float()
        accuracy = (predicted == Y).float().mean().item()
    return hypothesis.numpy().ravel().tolist(), accuracy


def main() -> None:
    cr.manual_seed(777)
    for name, model in (
        ("Perceptron", perceptron()),
        ("Multilayer perceptron", multilayer_perceptron()),
    ):
        print(f"{name}:")
        train(model, report_every=2000)
        outputs, accuracy = evaluate(model)
        print(f"  outputs {[round(o, 4) for o in outputs]}  (targets [0, 1, 1, 0])")
        print(f"  accuracy {accuracy:.0%}\n")


if __name__ == "__main__":
    main()
