"""LazyModuleMixin: modules whose parameters' shapes come from their first input (torch.nn.modules.lazy).

Until the first forward the parameters are UninitializedParameters (and buffers UninitializedBuffers); the
first call infers the shapes, materialises them in place (an optimizer built before it keeps working, as
in torch), runs reset_parameters, and the module becomes its `cls_to_become` (LazyLinear -> Linear).
load_state_dict materialises them from the checkpoint's shapes instead (the first call then takes the sizes
from them: torch leaves in_features etc. at 0, which ember's input checks would refuse).
"""

import itertools
from typing import Any

from ...autograd.grad_mode import no_grad
from ..parameter import is_lazy


__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    cls_to_become: Any = None

    def __call__(self, *args, **kwargs):
        self._infer_parameters(args, kwargs)
        if not isinstance(self, LazyModuleMixin):  # it became its cls_to_become
            return self(*args, **kwargs)
        return super().__call__(*args, **kwargs)

    def has_uninitialized_params(self):
        return any(is_lazy(t) for t in itertools.chain(self._parameters.values(), self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def _infer_parameters(self, args, kwargs):
        with no_grad():
            self.initialize_parameters(*args, **kwargs)
        if self.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, t in itertools.chain(
            self._parameters.items(),
            ((n, b) for n, b in self._buffers.items() if n not in self._non_persistent_buffers_set),
        ):
            if t is not None:
                destination[prefix + name] = t if is_lazy(t) or keep_vars else t.detach()

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        for name, t in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if t is not None and is_lazy(t) and key in state_dict and not is_lazy(state_dict[key]):
                with no_grad():
                    t.materialize(state_dict[key].shape)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )
