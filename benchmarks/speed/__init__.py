"""The speed suite: one training epoch of each of five workloads by chainrule, by the same
network written out by hand in NumPy, and by PyTorch, timed side by side.

``workloads`` describes the networks, ``inputs`` makes the data and initial weights they
share, ``chainrule_version``, ``reference`` and ``torch_reference`` are the three
implementations, ``runner`` is the process that measures, ``suite`` runs the processes and
computes the ratios, ``report`` prints the table. ``python benchmarks/run.py`` runs it.

Each implementation module offers the same four functions, which the runner calls in turn:
``prepare_data(workload, problem)`` (untimed: the batches' source), ``build(workload,
problem)`` (untimed: a fresh network, optimizer and loss from the initial weights),
``train_epoch(workload, state, data)`` (timed) and ``evaluation_loss(workload, state, x, t)``.
"""
