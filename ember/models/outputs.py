"""Hugging Face-style model outputs: fields by name, and by position over the fields that are set."""


class ModelOutput:
    """outputs.logits, outputs["logits"], outputs[0], `hidden, pooled = outputs`, outputs.to_tuple().

    As in transformers, fields left None are not counted by position (a BertModel without a pooler has one
    positional value); unlike its OrderedDict, iterating yields the values, as the tuple it replaces did.
    """

    _fields = ()

    def __init__(self, *args, **kwargs):
        if len(args) > len(self._fields):
            raise TypeError(f"{type(self).__name__} takes at most {len(self._fields)} positional fields")
        values = dict(zip(self._fields, args))
        unknown = set(kwargs) - set(self._fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected fields {sorted(unknown)}")
        values.update(kwargs)
        for name in self._fields:
            setattr(self, name, values.get(name))

    def keys(self):
        return [name for name in self._fields if getattr(self, name) is not None]

    def values(self):
        return [getattr(self, name) for name in self.keys()]

    def items(self):
        return [(name, getattr(self, name)) for name in self.keys()]

    def to_tuple(self):
        return tuple(self.values())

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in self.keys():
                raise KeyError(key)
            return getattr(self, key)
        return self.to_tuple()[key]

    def __contains__(self, key):
        return key in self.keys()

    def __iter__(self):
        return iter(self.to_tuple())

    def __len__(self):
        return len(self.keys())

    def __repr__(self):
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({inner})"


class BaseModelOutputWithPooling(ModelOutput):
    _fields = ("last_hidden_state", "pooler_output", "hidden_states", "attentions")


class SequenceClassifierOutput(ModelOutput):
    _fields = ("loss", "logits", "hidden_states", "attentions")
