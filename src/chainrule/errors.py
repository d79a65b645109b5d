"""``UserError``: the base of every error a user causes by a mistake, at the bottom of the
library (it imports nothing from chainrule).

A bad file, data of the wrong shape, an unknown or missing device, an option out of range:
each raises a subclass of ``UserError`` that also keeps the built-in base it has always had
(``SerializationError`` and ``DatasetError`` are ``ValueError``s, ``DeviceUnavailableError``
a ``RuntimeError``), so ``except ValueError`` still catches what it caught before. The
``chainrule`` command catches ``UserError`` alone and prints its message as one line.

A failed ``gradcheck`` (``GradcheckError``) is not one: it is a verdict on code, an
``AssertionError``, not a mistake in what was given to it.
"""


class UserError(Exception):
    """A mistake in what the user gave (a file, data, a device, an option); its message
    says what is wrong and, where it can, what to do instead, in one line."""
