"""The network of seed 001: 784-30-10, sigmoid, mean squared error, SGD with mini-batches
of 10 and learning rate 3.0.

On MNIST when its IDX files are in the folder given (the training files, or at least the
test files: then the first 8,000 test images train and the last 2,000 evaluate); on the
built-in 8×8 digits (a 64-30-10 network) otherwise.

    python examples/mnist_mlp.py [MNIST_FOLDER] [--epochs N]
"""

import argparse
import time

import numpy as np

import chainrule as cr
from chainrule import data, nn, optim


def load(folder: str | None) -> tuple[data.TensorDataset, data.TensorDataset, str]:
    if folder:
        test = data.mnist(folder, train=False)
        try:
            return data.mnist(folder, train=True), test, "MNIST"
        except data.DatasetError:
            x, y = (t.numpy() for t in test.tensors)
            return (
                data.TensorDataset(x[:8000], y[:8000]),
                data.TensorDataset(x[8000:], y[8000:]),
                "MNIST (first 8,000 test images to train, last 2,000 to test)",
            )
    return data.digits(train=True), data.digits(train=False), "the 8x8 digits"


def accuracy(model: nn.Module, dataset: data.TensorDataset) -> float:
    x, labels = dataset.tensors
    with cr.no_grad():
        predicted = model(x.reshape(len(x), -1)).argmax(dim=1)
    return float((predicted.numpy() == labels.numpy()).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", help="a folder with the MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()

    cr.manual_seed(0)
    train_set, test_set, name = load(args.folder)
    features = int(np.prod(train_set.tensors[0].shape[1:]))
    model = nn.Sequential(nn.Linear(features, 30), nn.Sigmoid(), nn.Linear(30, 10), nn.Sigmoid())
    optimizer = optim.SGD(model.parameters(), lr=3.0)
    loss_fn = nn.MSELoss()
    eye = cr.eye(10)
    print(f"{features}-30-10 sigmoid network, MSE, SGD lr 3.0, batch 10, on {name}")
    for epoch in range(1, args.epochs + 1):
        started = time.perf_counter()
        for x, labels in data.DataLoader(train_set, batch_size=10, shuffle=True):
            loss = loss_fn(model(x.reshape(len(x), -1)), eye[labels])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - started
        print(f"epoch {epoch:>2}: test accuracy {accuracy(model, test_set):.1%}  ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
