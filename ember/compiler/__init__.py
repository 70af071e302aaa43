"""torch.compiler: the public face of ember.compile (see ember._dynamo.eval_frame.compile)."""

from .._dynamo.eval_frame import compile, reset, disable, list_backends, is_compiling  # noqa: F401

# torch's allow_in_graph puts a function into the graph without tracing into it: ember's replay calls it again
allow_in_graph = disable


def is_dynamo_compiling():
    return is_compiling()


def is_exporting():
    """ember has no torch.export: never exporting."""
    return False


def cudagraph_mark_step_begin():
    """torch's marker between steps of a CUDA-graphed training loop. ember's replays hand out arrays that
    later replays do not overwrite (each replay makes its own), so there is nothing to mark."""


__all__ = [
    "compile",
    "reset",
    "disable",
    "allow_in_graph",
    "list_backends",
    "is_compiling",
    "is_dynamo_compiling",
    "is_exporting",
    "cudagraph_mark_step_begin",
]
