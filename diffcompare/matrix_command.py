"""The main command for Jacobians and Hessians: a list of expressions, or ``--order 2``.

``diffcompare "[x*y, sin(x)*z]" --at x=1,y=2,z=3`` prints the Jacobian four ways;
``diffcompare "x**2*sin(y)" --order 2 --at x=1,y=2`` the Hessian six ways (``--sweep``
adds the second differences' step sweep for every entry). The CLI routes here; the
options are the main command's, and the exit statuses too.
"""

from __future__ import annotations

import argparse
import sys

from diffcompare import present_matrix
from diffcompare.language.errors import InputError
from diffcompare.language.limits import Limits
from diffcompare.language.vector import ends_in_list
from diffcompare.matrix_compare import compare_hessian, compare_jacobian
from diffcompare.methods import difference_matrices
from diffcompare.methods.finite_difference import DEFAULT_SCHEME
from diffcompare.methods.symbolic import DEFAULT_TIMEOUT
from diffcompare.options import EXIT_AGREE, EXIT_DISAGREE, EXIT_UNDEFINED

# Options of the main command that have no meaning for a matrix, and why.
_NOT_FOR_MATRICES = {
    "engine": "--engine checks a user's Value on first derivatives only",
    "graph": "--graph draws the graph of one scalar expression",
    "step": "--step forces one first-order step; the matrix table shows every scheme at its own",
    "rtol": "--rtol holds first derivatives to a tolerance; a matrix is judged by each "
            "method's own error estimate",
    "atol": "--atol holds first derivatives to a tolerance; a matrix is judged by each "
            "method's own error estimate",
}


def wanted(args: argparse.Namespace) -> bool:
    """Whether the main command's arguments ask for a Jacobian or a Hessian."""
    return getattr(args, "order", 1) == 2 or ends_in_list(args.expression)


def _kind(listed: bool) -> str:
    return "Jacobian" if listed else "Hessian"


def run(args: argparse.Namespace, at: str | None) -> int:
    for option, why in _NOT_FOR_MATRICES.items():
        if getattr(args, option, None) is not None:
            raise InputError(f"{why}; leave out --{option} for a Jacobian or a Hessian")
    if getattr(args, "claim", None):
        raise InputError("--claim judges a claimed gradient; leave it out for a Jacobian "
                         "or a Hessian")
    listed = ends_in_list(args.expression)
    if getattr(args, "fd", DEFAULT_SCHEME) != DEFAULT_SCHEME:
        shown = ("central differences" if listed
                 else "every second-difference scheme, each at its own step")
        raise InputError(f"--fd picks a first-order scheme; the {_kind(listed)} table shows "
                         f"{shown}; leave out --fd for a Jacobian or a Hessian")
    if listed and getattr(args, "sweep", False):
        raise InputError("--sweep is not available for a Jacobian yet (only for a gradient "
                         "or a Hessian): leave out --sweep, or give its outputs one by one")
    if listed and args.order == 2:
        raise InputError("--order 2 takes one expression (its Hessian); the second "
                         "derivatives of a list would be a tensor: give its outputs one by one")
    limits = Limits.from_spec(args.limit)
    timeout = DEFAULT_TIMEOUT if args.timeout is None else args.timeout
    if listed:
        comparison = compare_jacobian(args.expression, at, timeout=timeout, limits=limits)
    else:
        comparison = compare_hessian(args.expression, at, timeout=timeout, limits=limits)
    sweeps = []
    if args.sweep and comparison.kind == "hessian":
        reference = comparison.reference
        sweeps = [difference_matrices.sweep(comparison.expression, comparison.point,
                                            reference.rows[i], reference.columns[j],
                                            reference.exact[(i, j)])
                  for i, j in comparison.entries if (i, j) in reference.exact]
    if args.json:
        text = present_matrix.to_json(comparison)
    else:
        text = present_matrix.report(comparison, tablefmt=args.format, sweeps=sweeps)
    sys.stdout.write(text + "\n")
    return {"agree": EXIT_AGREE, "disagree": EXIT_DISAGREE}.get(comparison.verdict.status,
                                                                EXIT_UNDEFINED)
