"""``gluonlite.random`` (MXNet's ``mx.random``): seeding and the sampling functions of
``nd.random``.

``seed(s)`` reseeds every generator gluonlite draws from (NumPy's on cpu, CuPy's per GPU), so a
program that seeds once repeats its initialisations, dropout masks and shuffles. It does not
reseed Python's ``random`` module or NumPy's legacy global state (``numpy.random.seed``).
"""

from .ndarray.random import *
from .ndarray.random import __all__, seed  # noqa: F401
