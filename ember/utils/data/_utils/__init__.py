"""Internals of DataLoader: collation, fetchers and the worker-process loop."""

# Seconds between liveness checks: the main process checks that its workers are alive while it waits for
# a batch, a worker checks that its parent is alive while it waits for an index.
MP_STATUS_CHECK_INTERVAL = 0.1
