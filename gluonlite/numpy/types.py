"""``np``'s dtype names and constants: NumPy's own objects, so ``x.dtype == np.float32`` and
``np.finfo(np.float32)`` mean what they mean in NumPy."""

from __future__ import annotations

import numpy

__all__ = [
    "NAN",
    "NINF",
    "NZERO",
    "PINF",
    "PZERO",
    "NaN",
    "bool",
    "bool_",
    "double",
    "dtype",
    "e",
    "euler_gamma",
    "finfo",
    "float16",
    "float32",
    "float64",
    "floating",
    "generic",
    "half",
    "iinfo",
    "inexact",
    "inf",
    "int8",
    "int16",
    "int32",
    "int64",
    "integer",
    "issubdtype",
    "nan",
    "newaxis",
    "number",
    "pi",
    "result_type",
    "signedinteger",
    "single",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "unsignedinteger",
]  # fmt: skip

dtype = numpy.dtype
bool_ = numpy.bool_
float16, float32, float64 = numpy.float16, numpy.float32, numpy.float64
half, single, double = numpy.float16, numpy.float32, numpy.float64
int8, int16, int32, int64 = numpy.int8, numpy.int16, numpy.int32, numpy.int64
uint8, uint16, uint32, uint64 = numpy.uint8, numpy.uint16, numpy.uint32, numpy.uint64
generic, number, integer = numpy.generic, numpy.number, numpy.integer
signedinteger, unsignedinteger = numpy.signedinteger, numpy.unsignedinteger
inexact, floating = numpy.inexact, numpy.floating
finfo, iinfo = numpy.finfo, numpy.iinfo
issubdtype, result_type = numpy.issubdtype, numpy.result_type

pi = numpy.pi
e = numpy.e
euler_gamma = numpy.euler_gamma
inf = numpy.inf
nan = numpy.nan
newaxis = None

# MXNet's np also exports these NumPy 1.x spellings
bool = numpy.bool_
PINF = inf
NINF = -inf
PZERO = 0.0
NZERO = -0.0
NAN = NaN = nan
