"""Built-in expressions with points: the lecture's examples and a smooth corpus.

Used by the tests (every method must agree on each), by the benchmarks and by reports.
Every primitive appears; every point is away from kinks and singularities.

``NASTY`` and ``KINKED`` are the hard cases a report shows on purpose (the methods need
not agree on them); ``REPORT`` is the built-in report's corpus.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    expression: str
    at: str


# micrograd's README example, as a program.
MICROGRAD_README = (
    "c = a + b; d = a*b + b**3; c += c + 1; c += 1 + c + (-a); "
    "d += d*2 + relu(b + a); d += 3*d + relu(b - a); e = c - d; f = e**2; "
    "g = f/2.0; g += 10.0/f; g"
)

# The lecture's tanh neuron: o = tanh(x1*w1 + x2*w2 + b).
TANH_NEURON = "n = x1*w1 + x2*w2 + b; tanh(n)"
TANH_NEURON_POINT = "x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432"

# A small MLP's loss, as in the lecture: one input (2.0), two tanh neurons, a tanh
# output neuron and the squared error against the target 1.0. The parameters are the
# variables.
MLP_LOSS = (
    "x = 2.0; h1 = tanh(w1*x + b1); h2 = tanh(w2*x + b2); "
    "y = tanh(v1*h1 + v2*h2 + c); (y - 1.0)**2"
)
MLP_LOSS_POINT = "w1=0.5,b1=-0.3,w2=-0.8,b2=0.1,v1=1.2,v2=-0.7,c=0.2"

LECTURE = [
    Case("lecture quadratic", "3*x**2 - 4*x + 5", "x=3"),
    Case("micrograd README", MICROGRAD_README, "a=-4,b=2"),
    Case("tanh neuron", TANH_NEURON, TANH_NEURON_POINT),
    Case("MLP loss", MLP_LOSS, MLP_LOSS_POINT),
]

SMOOTH = [
    Case("product with sine", "x**2*sin(y) + tanh(x*y)", "x=1,y=2"),
    Case("damped", "x*exp(-x)", "x=0.1"),
    Case("sine cosine", "sin(x)*cos(x)", "x=0.7"),
    Case("tangent", "tan(x) + x", "x=0.4"),
    Case("log of square", "log(x**2 + 1)", "x=1.3"),
    Case("square root", "sqrt(x*y + 2)", "x=0.6,y=1.7"),
    Case("sigmoid", "sigmoid(3*x - 1)", "x=0.2"),
    Case("relu away from 0", "relu(x - y) + relu(y)", "x=2.5,y=0.7"),
    Case("abs away from 0", "abs(x - 2)*y", "x=0.5,y=-1.5"),
    Case("quotient", "exp(sin(x))/(1 + x**2)", "x=-0.8"),
    Case("variable power", "x**y", "x=1.5,y=2.5"),
    Case("exponential base 2", "2**x", "x=0.3"),
    Case("constants", "pi*x**2 + e*x", "x=1.1"),
    Case("ratio", "x/(y + 3)", "x=2,y=0.5"),
    Case("cubic", "-x**3 + 2*x", "x=-1.2"),
    Case("log sigmoid", "log(sigmoid(x))", "x=-2"),
    Case("tanh chain", "tanh(tanh(tanh(x)))", "x=0.9"),
    Case("trig sum", "cos(x)**2 + sin(y)**2", "x=0.4,y=1.1"),
    Case("root of abs", "sqrt(abs(x)) + x", "x=-2.3"),
    Case("gaussian", "exp(-x**2/2)/sqrt(2*pi)", "x=0.75"),
    Case("mobius", "(x - 1)/(x + 1)", "x=2.5"),
    Case("x log x", "x*log(x) - x", "x=3.7"),
    Case("three variables", "sin(x*y*z) + z", "x=0.3,y=1.2,z=-0.7"),
    Case("logistic unit", "1/(1 + exp(-(w*x + b)))", "w=0.5,x=1.5,b=-0.2"),
    Case("half-angle tangent", "tan(x/2)**2", "x=1"),
    Case("euclidean norm", "(x**2 + y**2)**0.5", "x=3,y=4"),
    Case("mixed exponentials", "exp(x)*cos(y) - exp(y)*sin(x)", "x=0.25,y=-0.6"),
    Case("softplus", "log(1 + exp(x))", "x=0.5"),
    Case("relu product", "relu(x)*relu(y) + x", "x=1.5,y=0.8"),
    Case("negative powers", "x**-2 + y**-1", "x=1.3,y=-2.1"),
    Case("gate", "sigmoid(x)*tanh(y)", "x=0.4,y=-0.9"),
    Case("shared node", "u = sin(x)*y; u*u + u/y", "x=0.6,y=1.4"),
    # Squire and Trapp's test function for the complex step (SIAM Review 40, 1998).
    Case("squire trapp", "exp(x)/sqrt(sin(x)**3 + cos(x)**3)", "x=1.5"),
    Case("sine times exponential", "sin(x)*exp(x)", "x=1.3"),
    Case("rational function", "(x**2 + 1)/(x**3 - 2*x + 5)", "x=0.7"),
    Case("nested square roots", "sqrt(1 + sqrt(1 + x**2))", "x=0.6"),
    Case("log cosh", "log(exp(x) + exp(-x))", "x=0.35"),
    Case("damped oscillation", "exp(-x/2)*cos(3*x)", "x=0.9"),
    Case("compound interest", "(1 + x)**(1/x)", "x=0.5"),
    Case("tanh of a product", "tanh(x*y - z)", "x=0.8,y=-0.6,z=0.3"),
    Case("trig quotient", "tan(x)*cos(y)/(2 + sin(x*y))", "x=0.5,y=1.3"),
]



def table_cases() -> list[Case]:
    """One case per function of the primitive table, its row's example: a row added to
    the table is in the corpus at once."""
    from diffcompare.language.primitives import FUNCTIONS

    return [Case(f"{name} alone", *primitive.example) for name, primitive in FUNCTIONS.items()]


CORPUS = LECTURE + SMOOTH + table_cases()

# Smooth but hard on purpose: a pole or a domain edge close by, cancellation, a large
# dynamic range, saturation, high frequency.
NASTY = [
    Case("pole nearby", "1/(x - 1)", "x=1.001"),
    Case("log near its domain edge", "log(x)", "x=1e-8"),
    Case("cancellation", "(1 - cos(x))/x**2", "x=1e-4"),
    Case("large dynamic range", "exp(x) + 1e-10*sin(y)", "x=1,y=1"),
    Case("saturated tanh", "tanh(20*x)", "x=1"),
    Case("high frequency", "sin(1000*x)", "x=0.1"),
]

# Exactly at a kink, where the derivative does not exist and each method has a convention.
KINKED = [
    Case("abs at its kink", "abs(x)", "x=0"),
    Case("relu at its kink", "relu(x)", "x=0"),
    Case("relu neuron at its kink", "relu(w*x + b)", "w=0.5,x=2,b=-1"),
    Case("square root of a square at 0", "sqrt(x**2)", "x=0"),
]

REPORT = LECTURE + [
    Case("product with sine", "x**2*sin(y) + tanh(x*y)", "x=1,y=2"),
    Case("gaussian", "exp(-x**2/2)/sqrt(2*pi)", "x=0.75"),
    Case("shared node", "u = sin(x)*y; u*u + u/y", "x=0.6,y=1.4"),
    Case("tanh chain", "tanh(tanh(tanh(x)))", "x=0.9"),
] + NASTY + KINKED
