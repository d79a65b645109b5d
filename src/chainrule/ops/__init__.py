"""The primitive ops: each a ``Function`` whose forward and local derivative sit side by side.

One file per family. Anything that can be composed from these without losing speed or
numerical stability is composed (in ``Tensor`` or ``chainrule.functional``), not added here.
"""
