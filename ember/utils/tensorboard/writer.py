"""SummaryWriter: TensorBoard event files without TensorFlow or protobuf.

The structure follows torch/utils/tensorboard/writer.py (SummaryWriter over one FileWriter per
log directory) and tensorboard/summary/writer/event_file_writer.py (file naming, the
``brain.Event:2`` first record, buffered writes flushed every ``flush_secs``).
"""

import itertools
import os
import socket
import threading
import time
import weakref

from . import _proto
from ._record import frame_record
from .summary import histogram, histogram_raw, image, scalar, text

__all__ = ["FileWriter", "SummaryWriter"]

_file_counter = itertools.count()  # tensorboard's process-wide _global_uid


class _EventFile:
    """An open event file with a buffer of framed records.

    Records are written to the file when ``max_queue`` of them are pending, and the file is
    flushed by ``flush()``, ``close()`` and a daemon thread every ``flush_secs``. The thread
    holds this object, never the writer, so a writer dropped without ``close()`` is still
    collected and its finalizer (also run at interpreter exit) writes what is pending.
    """

    def __init__(self, path, max_queue, flush_secs):
        self._file = open(path, "wb")
        self._pending = []
        self._max_queue = max_queue
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._flusher = threading.Thread(
            target=self._flush_periodically, args=(flush_secs,), name="ember-tensorboard-flush", daemon=True
        )
        self._flusher.start()

    def _flush_periodically(self, flush_secs):
        while not self._closed.wait(flush_secs):
            self.flush()

    def _write_pending(self):
        if self._pending:
            self._file.write(b"".join(self._pending))
            self._pending.clear()

    def add(self, record):
        with self._lock:
            if self._file.closed:
                raise OSError("the event file is closed")
            self._pending.append(frame_record(record))
            if len(self._pending) >= self._max_queue:
                self._write_pending()

    def flush(self):
        with self._lock:
            if not self._file.closed:
                self._write_pending()
                self._file.flush()

    def close(self):
        self._closed.set()
        with self._lock:
            if not self._file.closed:
                self._write_pending()
                self._file.close()


class FileWriter:
    """Writes events to a new event file in ``log_dir``.

    Where torch's FileWriter takes protobuf messages, ``add_summary`` here takes an encoded
    Summary (bytes, as the builders in ``ember.utils.tensorboard.summary`` return).
    """

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        log_dir = str(log_dir)
        os.makedirs(log_dir, exist_ok=True)
        self._log_dir = log_dir
        self.file_name = (
            os.path.join(
                log_dir,
                "events.out.tfevents.%010d.%s.%s.%s"
                % (time.time(), socket.gethostname(), os.getpid(), next(_file_counter)),
            )
            + filename_suffix
        )
        self._file = _EventFile(self.file_name, max_queue, flush_secs)
        self._finalizer = weakref.finalize(self, self._file.close)
        self._file.add(_proto.event(time.time(), file_version="brain.Event:2", source_writer="ember.utils.tensorboard"))
        self._file.flush()

    def get_logdir(self):
        return self._log_dir

    def add_event(self, step=None, walltime=None, **fields):
        """Write an Event; ``fields`` are those of ``_proto.event`` (summary, session_log...)."""
        wall_time = time.time() if walltime is None else walltime
        self._file.add(_proto.event(wall_time, None if step is None else int(step), **fields))

    def add_summary(self, summary, global_step=None, walltime=None):
        self.add_event(global_step, walltime, summary=summary)

    def flush(self):
        self._file.flush()

    def close(self):
        self._finalizer()


class SummaryWriter:
    """Writes entries directly to event files in ``log_dir`` to be consumed by TensorBoard.

    ``add_hparams``, ``add_graph``, ``add_embedding``, audio, video, meshes and PR curves
    are not implemented.
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120, filename_suffix=""):
        if not log_dir:
            from datetime import datetime

            current_time = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", current_time + "_" + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix

        # created again on the next add_* after close(), as torch does
        self.file_writer = self.all_writers = None
        self._get_file_writer()

        # default histogram bins, from tensorboard's generate_testdata.py
        v = 1e-12
        buckets, neg_buckets = [], []
        while v < 1e20:
            buckets.append(v)
            neg_buckets.append(-v)
            v *= 1.1
        self.default_bins = neg_buckets[::-1] + [0] + buckets

    def _get_file_writer(self):
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                # TensorBoard hides earlier events with step >= purge_step on a restart
                self.file_writer.add_event(self.purge_step, file_version="brain.Event:2")
                self.file_writer.add_event(self.purge_step, session_log=_proto.SESSION_LOG_START)
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        """Return the directory where event files will be written."""
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False, double_precision=False):
        summary = scalar(tag, scalar_value, new_style=new_style, double_precision=double_precision)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """One sub-run per key, in ``{log_dir}/{main_tag}_{tag}``, all under tag ``main_tag``."""
        walltime = time.time() if walltime is None else walltime
        fw_logdir = self._get_file_writer().get_logdir()
        for tag, scalar_value in tag_scalar_dict.items():
            fw_tag = fw_logdir + "/" + main_tag.replace("/", "_") + "_" + tag
            if fw_tag not in self.all_writers:
                self.all_writers[fw_tag] = FileWriter(fw_tag, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers[fw_tag].add_summary(scalar(main_tag, scalar_value), global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._get_file_writer().add_summary(histogram(tag, values, bins, max_bins=max_bins), global_step, walltime)

    def add_histogram_raw(
        self, tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts, global_step=None, walltime=None
    ):
        if len(bucket_limits) != len(bucket_counts):
            raise ValueError("len(bucket_limits) != len(bucket_counts), see the document.")
        self._get_file_writer().add_summary(
            histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts), global_step, walltime
        )

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        self._get_file_writer().add_summary(image(tag, img_tensor, dataformats=dataformats), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        self._get_file_writer().add_summary(image(tag, img_tensor, dataformats=dataformats), global_step, walltime)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """The graph of model(input_to_model): its leaf-module calls and the data flowing between them."""
        from ._graph import build_graph

        if input_to_model is None:
            raise NotImplementedError("add_graph: ember traces the model by running it; pass input_to_model")
        self._get_file_writer().add_event(graph_def=build_graph(model, input_to_model))

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        self._get_file_writer().add_summary(text(tag, text_string), global_step, walltime)

    def flush(self):
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()

    def close(self):
        if self.all_writers is None:
            return  # closing twice is allowed
        for writer in self.all_writers.values():
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()
