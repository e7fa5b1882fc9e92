"""A student's helper module; another student's has the same name."""


def tanh_derivative(t):
    return 1 - t
