"""The few protobuf messages TensorBoard reads, encoded with the standard library.

Field numbers come from tensorboard/compat/proto/{event,summary,tensor,tensor_shape}.proto.
Fields are written in field-number order and proto3 defaults (zero bit patterns) are left
out, as protobuf's own serializer does, so the bytes match ``SerializeToString()``.
"""

import struct

_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5

DT_FLOAT, DT_DOUBLE, DT_STRING = 1, 2, 7
SESSION_LOG_START = 1


def varint(n):
    n &= (1 << 64) - 1  # negative int64 is written as its two's complement, 10 bytes
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key(field, wire_type):
    return varint(field << 3 | wire_type)


def varint_field(field, value):
    return _key(field, _VARINT) + varint(int(value)) if value else b""


def double_field(field, value):
    data = struct.pack("<d", value)
    return _key(field, _FIXED64) + data if data != bytes(8) else b""


def float_field(field, value):
    """Always written: used for ``simple_value``, a oneof member, which has presence."""
    return _key(field, _FIXED32) + struct.pack("<f", value)


def bytes_field(field, data, *, always=False):
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data and not always:
        return b""
    return _key(field, _LENGTH_DELIMITED) + varint(len(data)) + data


def message_field(field, encoded):
    """A submessage that is set is written even when it is empty."""
    return bytes_field(field, encoded, always=True)


def packed_doubles(field, values):
    values = list(values)
    return bytes_field(field, struct.pack(f"<{len(values)}d", *values))


def packed_floats(field, values):
    values = list(values)
    return bytes_field(field, struct.pack(f"<{len(values)}f", *values))


# --- messages --------------------------------------------------------------------------------


def event(
    wall_time, step=None, *, file_version=None, graph_def=None, summary=None, session_log=None, source_writer=None
):
    """tensorboard.Event: wall_time=1, step=2, file_version=3, graph_def=4 (serialized GraphDef), summary=5,
    session_log=7, source_metadata=10 (SourceMetadata.writer=1)."""
    return b"".join(
        [
            double_field(1, wall_time),
            varint_field(2, step or 0),
            b"" if file_version is None else bytes_field(3, file_version, always=True),
            b"" if graph_def is None else bytes_field(4, graph_def, always=True),
            b"" if summary is None else message_field(5, summary),
            b"" if session_log is None else message_field(7, varint_field(1, session_log)),
            b"" if source_writer is None else message_field(10, bytes_field(1, source_writer)),
        ]
    )


def summary(*values):
    """tensorboard.Summary: repeated Value value=1."""
    return b"".join(message_field(1, v) for v in values)


def summary_value(tag, *, simple_value=None, image=None, histo=None, tensor=None, metadata=None):
    """Summary.Value: tag=1, simple_value=2, image=4, histo=5, tensor=8, metadata=9."""
    return b"".join(
        [
            bytes_field(1, tag),
            b"" if simple_value is None else float_field(2, simple_value),
            b"" if image is None else message_field(4, image),
            b"" if histo is None else message_field(5, histo),
            b"" if tensor is None else message_field(8, tensor),
            b"" if metadata is None else message_field(9, metadata),
        ]
    )


def summary_metadata(plugin_name, content=b""):
    """SummaryMetadata.plugin_data=1 -> PluginData{plugin_name=1, content=2}."""
    return message_field(1, bytes_field(1, plugin_name) + bytes_field(2, content))


def tensor_proto(dtype, *, shape=None, float_val=(), double_val=(), string_val=()):
    """TensorProto: dtype=1, tensor_shape=2 (TensorShapeProto.dim=2 -> Dim.size=1),
    float_val=5 (packed), double_val=6 (packed), string_val=8 (repeated bytes)."""
    shape_field = b""
    if shape is not None:
        shape_field = message_field(2, b"".join(message_field(2, varint_field(1, n)) for n in shape))
    return b"".join(
        [
            varint_field(1, dtype),
            shape_field,
            packed_floats(5, float_val),
            packed_doubles(6, double_val),
            b"".join(bytes_field(8, s, always=True) for s in string_val),
        ]
    )


def histogram_proto(min, max, num, sum, sum_squares, bucket_limit, bucket):
    """HistogramProto: min=1, max=2, num=3, sum=4, sum_squares=5 (doubles),
    bucket_limit=6 and bucket=7 (packed doubles)."""
    return b"".join(
        [
            double_field(1, min),
            double_field(2, max),
            double_field(3, num),
            double_field(4, sum),
            double_field(5, sum_squares),
            packed_doubles(6, bucket_limit),
            packed_doubles(7, bucket),
        ]
    )


def image_proto(height, width, colorspace, encoded_image_string):
    """Summary.Image: height=1, width=2, colorspace=3, encoded_image_string=4."""
    return b"".join(
        [
            varint_field(1, height),
            varint_field(2, width),
            varint_field(3, colorspace),
            bytes_field(4, encoded_image_string),
        ]
    )


def node_def(name, op, inputs, output_shapes):
    """NodeDef: name=1, op=2, input=3 (repeated), attr=5 (map entry: key=1, value=2 AttrValue); the one attr is
    `_output_shapes`: AttrValue.list=1 -> ListValue.shape=7 -> TensorShapeProto.dim=2 -> Dim.size=1."""
    shapes = b"".join(
        message_field(7, b"".join(message_field(2, varint_field(1, n)) for n in shape)) for shape in output_shapes
    )
    attr = message_field(5, bytes_field(1, "_output_shapes") + message_field(2, message_field(1, shapes)))
    return b"".join([bytes_field(1, name), bytes_field(2, op), *(bytes_field(3, i) for i in inputs), attr])


def graph_def(nodes, producer=22):
    """GraphDef: node=1 (repeated NodeDef), versions=4 (VersionDef.producer=1)."""
    return b"".join(message_field(1, n) for n in nodes) + message_field(4, varint_field(1, producer))
