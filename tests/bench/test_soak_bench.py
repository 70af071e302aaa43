"""bench/soak.py: windows of steps, run in turns per framework, reporting what tells a machine's noise from a
framework's drift (the full 5,000-step run is tests/reliability/test_soak.py's slow test)."""
from ember.bench import soak


def test_soak_reports_every_window_of_each_framework(capsys):
    rows = soak.soak("mlp", steps=6, window=3, frameworks=("ember",), threads=1)    # torch is slow to start
    assert [(r["step"], r["framework"]) for r in rows] == [(3, "ember"), (6, "ember")]
    for row in rows:
        assert row["wall_median_ms"] > 0 and row["cpu_ms"] > 0 and row["rss_mb"] > 10 and row["objects"] > 0
        assert 0 <= row["subnormal"] <= 1 and row["preempt"] >= 0 and row["load"] >= 0
    out = capsys.readouterr().out
    assert out.count(" ember ") == 2
    assert soak.drift(rows, "ember", "rss_mb", windows=1) > 0
