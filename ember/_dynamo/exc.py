"""torch._dynamo.exc: the errors ember.compile raises."""


class TorchDynamoException(RuntimeError):
    pass


class Unsupported(TorchDynamoException):
    """A construct a compiled function cannot capture (with fullgraph=True it is raised, else the call runs
    eagerly and the reason is kept for explain())."""


class InvalidBackend(TorchDynamoException):
    pass


class RecompileLimitExceeded(Unsupported):
    pass


class BackendCompilerFailed(TorchDynamoException):
    pass


class InternalTorchDynamoError(TorchDynamoException):
    pass


__all__ = [
    "TorchDynamoException",
    "Unsupported",
    "InvalidBackend",
    "RecompileLimitExceeded",
    "BackendCompilerFailed",
    "InternalTorchDynamoError",
]
