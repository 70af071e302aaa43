"""torch._dynamo.config: the settings ember.compile reads (set them as attributes)."""

# recordings kept per compiled function, one per guard set (input shapes, dtypes, grad mode, ...), as torch's
# recompiles; a call matching none of them once the limit is reached runs eagerly
cache_size_limit = 8
# before the first replay of a program, one call is both replayed and run eagerly (from the same state)
# and the two compared bit for bit; a difference keeps that guard set eager, with the reason in explain()
verify_replay = True
# torch's switch to fall back to eager when compilation fails: ember always does (a call it cannot capture runs
# eagerly, its reason kept for explain(); fullgraph=True raises instead), so programs may set it either way
suppress_errors = False
