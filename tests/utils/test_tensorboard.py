"""ember.utils.tensorboard: event files read back by our own CRC-checking reader, by
TensorBoard's EventAccumulator, and compared byte for byte with protobuf / torch's summaries."""

import gc
import glob
import io
import os
import re
import socket
import struct
import zlib

import numpy as np
import pytest

import ember
from ember.utils.tensorboard import SummaryWriter
from ember.utils.tensorboard import _proto, summary
from ember.utils.tensorboard._record import crc32c, frame_record, masked_crc32c


# --- an independent reader: bitwise CRC-32C, TFRecord framing, protobuf wire format -------------


def _crc32c_bitwise(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def _masked(data):
    crc = _crc32c_bitwise(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class CorruptRecord(Exception):
    pass


def read_records(path):
    with open(path, "rb") as f:
        buf = f.read()
    records, i = [], 0
    while i < len(buf):
        header = buf[i : i + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", buf[i + 8 : i + 12])
        if header_crc != _masked(header):
            raise CorruptRecord(f"length CRC mismatch at offset {i}")
        data = buf[i + 12 : i + 12 + length]
        (data_crc,) = struct.unpack("<I", buf[i + 12 + length : i + 16 + length])
        if len(data) != length or data_crc != _masked(data):
            raise CorruptRecord(f"data CRC mismatch at offset {i}")
        records.append(data)
        i += 16 + length
    return records


def _read_varint(buf, i):
    shift = result = 0
    while True:
        byte = buf[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, i


def parse(buf):
    """Protobuf wire format -> {field number: [values]} (submessages stay bytes)."""
    fields, i = {}, 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        field, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, i = _read_varint(buf, i)
        elif wire_type == 1:
            value, i = struct.unpack_from("<d", buf, i)[0], i + 8
        elif wire_type == 5:
            value, i = struct.unpack_from("<f", buf, i)[0], i + 4
        elif wire_type == 2:
            n, i = _read_varint(buf, i)
            value, i = bytes(buf[i : i + n]), i + n
        else:
            raise ValueError(f"unexpected wire type {wire_type}")
        fields.setdefault(field, []).append(value)
    return fields


def event_files(log_dir):
    return sorted(glob.glob(os.path.join(str(log_dir), "events.out.tfevents.*")))


def only_event_file(log_dir):
    (path,) = event_files(log_dir)
    return path


def scalar_events(path):
    """(tag, step, simple_value) of each summary event in the file."""
    out = []
    for record in read_records(path):
        event = parse(record)
        if 5 in event:
            value = parse(parse(event[5][0])[1][0])
            out.append((value[1][0].decode(), event.get(2, [0])[0], value[2][0]))
    return out


# --- encoding primitives ---------------------------------------------------------------------


def test_crc32c_check_values():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0
    assert crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720 (iSCSI) test vector
    rng = np.random.default_rng(0)
    for n in (1, 7, 100):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert crc32c(data) == _crc32c_bitwise(data)
        assert masked_crc32c(data) == _masked(data)


def test_masked_crc_matches_tensorboard():
    pywrap = pytest.importorskip("tensorboard.compat.tensorflow_stub.pywrap_tensorflow")
    for data in (b"", b"123456789", bytes(range(256))):
        assert masked_crc32c(data) == pywrap.masked_crc32c(data)


def test_varint_and_fields():
    assert _proto.varint(0) == b"\x00"
    assert _proto.varint(1) == b"\x01"
    assert _proto.varint(300) == b"\xac\x02"
    assert _proto.varint(-1) == b"\xff" * 9 + b"\x01"
    assert _proto.double_field(1, 0.0) == b""  # proto3 default left out
    assert _proto.double_field(1, -0.0) == b"\x09" + struct.pack("<d", -0.0)
    assert _proto.float_field(2, 0.0) == b"\x15" + bytes(4)  # oneof member: always written
    assert _proto.packed_doubles(6, [1.0, 2.0]) == b"\x32\x10" + struct.pack("<2d", 1.0, 2.0)
    assert _proto.packed_floats(5, []) == b""


def test_frame_record_layout():
    data = b"hello"
    framed = frame_record(data)
    assert framed[:8] == struct.pack("<Q", 5)
    assert struct.unpack("<I", framed[8:12])[0] == _masked(framed[:8])
    assert framed[12:17] == data
    assert struct.unpack("<I", framed[17:])[0] == _masked(data)


# --- files read back with our own reader ----------------------------------------------------


def test_scalars_read_back_and_first_record(tmp_path):
    values = [
        1.0,
        ember.tensor(0.25, requires_grad=True) * 2,
        np.float32(0.25),
        np.float64(-3.0),
        ember.tensor([[2.0]]),
        7,
    ]
    with SummaryWriter(tmp_path) as writer:
        for step, value in enumerate(values):
            writer.add_scalar("loss/train", value, step)
    records = read_records(only_event_file(tmp_path))
    first = parse(records[0])
    assert first[3] == [b"brain.Event:2"]
    assert 2 not in first and 5 not in first
    got = scalar_events(only_event_file(tmp_path))
    assert [g[0] for g in got] == ["loss/train"] * len(values)
    assert [g[1] for g in got] == list(range(len(values)))
    assert [g[2] for g in got] == [1.0, 0.5, 0.25, -3.0, 2.0, 7.0]


def test_corrupted_byte_fails_crc(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("x", 1.5, 3)
    path = only_event_file(tmp_path)
    good = open(path, "rb").read()
    assert len(read_records(path)) == 2
    first_len = struct.unpack("<Q", good[:8])[0]
    second = 16 + first_len
    for offset in (second + 2, second + 12 + 3, len(good) - 1):  # length, data, data CRC
        bad = bytearray(good)
        bad[offset] ^= 0x01
        with open(path, "wb") as f:
            f.write(bad)
        with pytest.raises(CorruptRecord):
            read_records(path)


def test_walltime_and_negative_step(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("x", 1.0, global_step=-2, walltime=123.25)
        writer.add_scalar("x", 2.0, global_step=np.int64(5), walltime=124.0)
    events = [parse(r) for r in read_records(only_event_file(tmp_path))[1:]]
    assert events[0][1] == [123.25]
    assert events[0][2] == [2**64 - 2]  # int64 -2 as a 10-byte varint
    assert events[1][1] == [124.0] and events[1][2] == [5]


def test_new_style_scalar_and_text_fields(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("acc", 0.75, 1, new_style=True)
        writer.add_text("notes", "héllo", 2)
    records = read_records(only_event_file(tmp_path))
    acc = parse(parse(parse(records[1])[5][0])[1][0])
    assert acc[1] == [b"acc"]
    tensor = parse(acc[8][0])
    assert tensor[1] == [_proto.DT_FLOAT]
    assert struct.unpack("<f", tensor[5][0]) == (0.75,)
    assert parse(parse(acc[9][0])[1][0])[1] == [b"scalars"]
    note = parse(parse(parse(records[2])[5][0])[1][0])
    assert note[1] == [b"notes/text_summary"]
    assert parse(note[8][0])[8] == ["héllo".encode()]
    assert parse(parse(note[9][0])[1][0])[1] == [b"text"]


def test_add_scalar_rejects_non_scalar(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(AssertionError, match=r"add_scalar.*\(3,\)"):
            writer.add_scalar("x", ember.tensor([1.0, 2.0, 3.0]))
        with pytest.raises(NotImplementedError, match="list"):
            writer.add_scalar("x", [1.0])


# --- buffering, flushing, closing ----------------------------------------------------------


def test_events_buffered_until_max_queue(tmp_path):
    writer = SummaryWriter(tmp_path, max_queue=3, flush_secs=1000)
    path = only_event_file(tmp_path)
    assert len(read_records(path)) == 1  # the file_version record is written at once
    writer.add_scalar("x", 1.0, 0)
    writer.add_scalar("x", 2.0, 1)
    assert len(read_records(path)) == 1
    writer.add_scalar("x", 3.0, 2)
    writer.file_writer._file._file.flush()  # what is written reaches the file; nothing pending
    assert len(read_records(path)) == 4
    writer.add_scalar("x", 4.0, 3)
    writer.flush()
    assert len(read_records(path)) == 5
    writer.close()


def test_flush_secs_flushes_in_background(tmp_path):
    import time

    writer = SummaryWriter(tmp_path, max_queue=1000, flush_secs=0.05)
    writer.add_scalar("x", 1.0, 0)
    path = only_event_file(tmp_path)
    deadline = time.monotonic() + 5
    while len(read_records(path)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(read_records(path)) == 2
    writer.close()


def test_close_and_garbage_collection_lose_nothing(tmp_path):
    with SummaryWriter(tmp_path / "closed", max_queue=1000) as writer:
        for i in range(50):
            writer.add_scalar("x", float(i), i)
    assert [e[2] for e in scalar_events(only_event_file(tmp_path / "closed"))] == list(range(50))

    dropped = SummaryWriter(tmp_path / "dropped", max_queue=1000)
    dropped.add_scalar("x", 1.0, 0)
    del dropped
    gc.collect()
    assert len(scalar_events(only_event_file(tmp_path / "dropped"))) == 1


def test_close_twice_and_reopen(tmp_path):
    writer = SummaryWriter(tmp_path, filename_suffix=".ember")
    writer.add_scalar("x", 1.0, 0)
    writer.close()
    writer.close()
    writer.add_scalar("x", 2.0, 1)  # as torch: a new event file
    writer.close()
    files = event_files(tmp_path)
    assert len(files) == 2 and all(f.endswith(".ember") for f in files)
    assert sorted(e[2] for f in files for e in scalar_events(f)) == [1.0, 2.0]


def test_file_name_and_default_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_lr0.1") as writer:
        log_dir = writer.get_logdir()
    assert writer.log_dir == log_dir
    host = re.escape(socket.gethostname())
    assert re.fullmatch(r"runs/[A-Z][a-z]{2}\d\d_\d\d-\d\d-\d\d_" + host + r"_lr0\.1", log_dir)
    name = os.path.basename(only_event_file(log_dir))
    assert re.fullmatch(r"events\.out\.tfevents\.\d{10}\." + host + r"\.%d\.\d+" % os.getpid(), name)


def test_purge_step_records(tmp_path):
    with SummaryWriter(tmp_path, purge_step=5) as writer:
        writer.add_scalar("x", 1.0, 5)
    events = [parse(r) for r in read_records(only_event_file(tmp_path))]
    assert events[1][2] == [5] and events[1][3] == [b"brain.Event:2"]
    assert events[2][2] == [5] and parse(events[2][7][0]) == {1: [1]}  # SessionLog START
    assert events[3][2] == [5] and 5 in events[3]


def test_add_scalars_sub_runs(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step in range(3):
            writer.add_scalars("loss/all", {"train": step * 1.0, "val": step * 2.0}, step)
    assert sorted(os.listdir(tmp_path))[1:] == ["loss_all_train", "loss_all_val"]
    assert scalar_events(only_event_file(tmp_path / "loss_all_val")) == [
        ("loss/all", 0, 0.0),
        ("loss/all", 1, 2.0),
        ("loss/all", 2, 4.0),
    ]


# --- PNG -----------------------------------------------------------------------------------


def _decode_png(data):
    """Pixels of a non-interlaced 8-bit PNG with filter 0 rows (what the zlib encoder writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    i, idat = 8, b""
    while i < len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind, body = data[i + 4 : i + 8], data[i + 8 : i + 8 + length]
        assert struct.unpack(">I", data[i + 8 + length : i + 12 + length])[0] == zlib.crc32(kind + body)
        if kind == b"IHDR":
            width, height, depth, color_type = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        i += 12 + length
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[color_type]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + width * channels)
    assert depth == 8 and not rows[:, 0].any()
    return rows[:, 1:].reshape(height, width, channels)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_zlib_png_encoder(channels):
    pixels = np.random.default_rng(0).integers(0, 256, (5, 7, channels), dtype=np.uint8)
    png = summary.encode_png_zlib(pixels)
    np.testing.assert_array_equal(_decode_png(png), pixels)
    PIL = pytest.importorskip("PIL.Image")
    decoded = np.asarray(PIL.open(io.BytesIO(png)))
    np.testing.assert_array_equal(decoded.reshape(pixels.shape), pixels)


def test_image_scaling_and_formats(tmp_path):
    chw = np.linspace(0, 1, 2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)[:1]  # 1 channel
    with SummaryWriter(tmp_path) as writer:
        writer.add_image("gray", ember.tensor(chw), 0)
        writer.add_image("hwc", np.full((2, 3, 3), 200, np.uint8), 1, dataformats="HWC")
        writer.add_images("batch", np.zeros((5, 3, 2, 2)), 2)  # one row of 5 tiles
    images = [parse(parse(parse(parse(r)[5][0])[1][0])[4][0]) for r in read_records(only_event_file(tmp_path))[1:]]
    assert [(im[1][0], im[2][0], im[3][0]) for im in images] == [(3, 4, 3), (2, 3, 3), (2, 10, 3)]
    PIL = pytest.importorskip("PIL.Image")
    gray = np.asarray(PIL.open(io.BytesIO(images[0][4][0])))
    expected = (chw[0] * 255).clip(0, 255).astype(np.uint8)
    np.testing.assert_array_equal(gray, np.stack([expected] * 3, 2))
    assert (np.asarray(PIL.open(io.BytesIO(images[1][4][0]))) == 200).all()


def test_bad_dataformats_named():
    with pytest.raises(AssertionError, match="input format"):
        summary.image("x", np.zeros((3, 4, 4)), dataformats="HW")


# --- TensorBoard's own reader --------------------------------------------------------------


def test_tensorboard_event_accumulator_reads_everything(tmp_path):
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    rng = np.random.default_rng(0)
    values = rng.standard_normal(1000)
    img = rng.random((3, 6, 5)).astype(np.float32)
    with SummaryWriter(tmp_path) as writer:
        for step in range(4):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
        writer.add_histogram("weights", ember.tensor(values), 7)
        writer.add_histogram("auto", values, 8, bins="auto")
        writer.add_image("picture", img, 3)
        writer.add_text("notes", "hello", 2)
    acc = event_accumulator.EventAccumulator(
        str(tmp_path), size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0}
    )
    acc.Reload()
    tags = acc.Tags()
    assert tags["scalars"] == ["loss"] and sorted(tags["histograms"]) == ["auto", "weights"]
    assert tags["images"] == ["picture"] and tags["tensors"] == ["notes/text_summary"]

    scalars = acc.Scalars("loss")
    assert [s.step for s in scalars] == [0, 1, 2, 3]
    np.testing.assert_allclose([s.value for s in scalars], [1, 1 / 2, 1 / 3, 1 / 4], rtol=1e-7)

    (histo,) = acc.Histograms("weights")
    h = histo.histogram_value
    assert histo.step == 7 and h.num == 1000
    assert h.min == values.min() and h.max == values.max()
    np.testing.assert_allclose([h.sum, h.sum_squares], [values.sum(), values @ values])
    assert sum(h.bucket) == 1000 and len(h.bucket) == len(h.bucket_limit)
    (auto,) = acc.Histograms("auto")
    counts, edges = np.histogram(values, bins="auto")
    assert list(auto.histogram_value.bucket) == [0.0] + counts.tolist()
    assert list(auto.histogram_value.bucket_limit) == edges.tolist()

    (picture,) = acc.Images("picture")
    assert (picture.step, picture.height, picture.width) == (3, 6, 5)
    PIL = pytest.importorskip("PIL.Image")
    pixels = np.asarray(PIL.open(io.BytesIO(picture.encoded_image_string)))
    np.testing.assert_array_equal(pixels, (img.transpose(1, 2, 0) * 255).astype(np.uint8))

    (note,) = acc.Tensors("notes/text_summary")
    assert note.step == 2 and note.tensor_proto.string_val == [b"hello"]


def test_tensorboard_reads_add_scalars_runs(tmp_path):
    multiplexer = pytest.importorskip("tensorboard.backend.event_processing.plugin_event_multiplexer")
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalars("loss", {"train": 1.0, "val": 2.0}, 0)
        writer.add_scalar("lr", 0.1, 0, new_style=True)
    mux = multiplexer.EventMultiplexer().AddRunsFromDirectory(str(tmp_path))
    mux.Reload()
    assert sorted(mux.Runs()) == [".", "loss_train", "loss_val"]
    (val,) = mux.Tensors("loss_val", "loss")
    assert val.tensor_proto.float_val == [2.0]
    (lr,) = mux.Tensors(".", "lr")
    assert lr.tensor_proto.float_val == [pytest.approx(0.1)]


# --- byte identity with protobuf and with torch.utils.tensorboard -------------------------


def test_simple_value_event_bytes_match_protobuf(tmp_path):
    event_pb2 = pytest.importorskip("tensorboard.compat.proto.event_pb2")
    summary_pb2 = pytest.importorskip("tensorboard.compat.proto.summary_pb2")
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("loss", 0.125, 42, walltime=1700000000.5)
        writer.add_scalar("zero", 0.0, 0, walltime=1700000001.0)
    header, loss, zero = read_records(only_event_file(tmp_path))
    for record, tag, value, step, wall_time in [
        (loss, "loss", 0.125, 42, 1700000000.5),
        (zero, "zero", 0.0, 0, 1700000001.0),
    ]:
        expected = event_pb2.Event(
            wall_time=wall_time,
            step=step,
            summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]),
        )
        assert record == expected.SerializeToString()
    expected_header = event_pb2.Event(
        wall_time=parse(header)[1][0],
        file_version="brain.Event:2",
        source_metadata=event_pb2.SourceMetadata(writer="ember.utils.tensorboard"),
    )
    assert header == expected_header.SerializeToString()


@pytest.fixture(scope="module")
def torch_summary():
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import summary as torch_summary

    return torch_summary


def test_scalar_summaries_match_torch(torch_summary):
    for value in (0.1, -2.5, 0.0, 1e30):
        assert summary.scalar("s", value) == torch_summary.scalar("s", value).SerializeToString()
        for double in (False, True):
            ours = summary.scalar("s", value, new_style=True, double_precision=double)
            theirs = torch_summary.scalar("s", value, new_style=True, double_precision=double)
            assert ours == theirs.SerializeToString()


@pytest.mark.parametrize("bins", ["tensorflow", "auto", 10])
@pytest.mark.parametrize("max_bins", [None, 3])
def test_histogram_summary_matches_torch(torch_summary, tmp_path, bins, max_bins):
    values = np.random.default_rng(1).standard_normal((20, 30)).astype(np.float32)
    if bins == "tensorflow":
        with SummaryWriter(tmp_path) as writer:
            bins = writer.default_bins
    ours = summary.histogram("h", ember.tensor(values), bins, max_bins=max_bins)
    theirs = torch_summary.histogram("h", values, bins, max_bins=max_bins)
    assert ours == theirs.SerializeToString()


@pytest.mark.parametrize(
    "shape,dataformats,dtype",
    [
        ((3, 4, 5), "CHW", np.float32),
        ((4, 5, 3), "HWC", np.uint8),
        ((4, 5), "HW", np.float64),
        ((4, 5, 4), "HWC", np.float32),
        ((1, 4, 5), "CHW", np.float32),
        ((3, 1, 4, 5), "NCHW", np.float32),
        ((9, 4, 5, 3), "NHWC", np.uint8),
    ],
)
def test_image_summary_matches_torch(torch_summary, shape, dataformats, dtype):
    rng = np.random.default_rng(2)
    img = (
        rng.integers(0, 256, shape).astype(dtype)
        if dtype == np.uint8
        else (rng.random(shape) * 1.2 - 0.1).astype(dtype)
    )  # out-of-range values get clipped
    ours = summary.image("im", img, dataformats=dataformats)
    assert ours == torch_summary.image("im", img, dataformats=dataformats).SerializeToString()


def test_text_summary_matches_torch(torch_summary):
    for text in ("hello", "", "ünïcode **md**\nline"):
        assert summary.text("t", text) == torch_summary.text("t", text).SerializeToString()


def test_add_graph_writes_a_graph_tensorboard_reads(tmp_path):
    """Leaf-module calls named by scope, edges found through functional ops, IO nodes, output shapes."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    import ember
    import ember.nn.functional as F
    from ember.utils.tensorboard import SummaryWriter

    class Net(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = ember.nn.Linear(4, 8), ember.nn.Linear(8, 2)
            self.head = ember.nn.Sequential(ember.nn.Linear(2, 2), ember.nn.Tanh())

        def forward(self, x):
            return self.head(self.fc2(F.relu(self.fc1(x)).view(-1, 8)))

    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_graph(Net(), ember.randn(3, 4))
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    assert acc.Tags()["graph"]
    nodes = [
        (n.name, n.op, list(n.input), [[d.size for d in s.dim] for s in n.attr["_output_shapes"].list.shape])
        for n in acc.Graph().node
    ]
    assert nodes == [
        ("input/input.0", "IO Node", [], [[3, 4]]),
        ("Net/Linear[fc1]", "Linear", ["input/input.0"], [[3, 8]]),
        ("Net/Linear[fc2]", "Linear", ["Net/Linear[fc1]"], [[3, 2]]),
        ("Net/Sequential[head]/Linear[0]", "Linear", ["Net/Linear[fc2]"], [[3, 2]]),
        ("Net/Sequential[head]/Tanh[1]", "Tanh", ["Net/Sequential[head]/Linear[0]"], [[3, 2]]),
        ("output/output.0", "IO Node", ["Net/Sequential[head]/Tanh[1]"], [[3, 2]]),
    ]
