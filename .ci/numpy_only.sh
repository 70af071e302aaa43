#!/usr/bin/env bash
# CI: the core tests on a NumPy-only install, as "NumPy is ember's only runtime dependency" promises.
# A fresh virtual environment (not seeing the machine's packages) gets NumPy, the test runner and the
# torch oracle, and ember without its dependencies; no extra (ml_dtypes, threadpoolctl, numba, ...).
# Tests that need an extra skip (pytest.importorskip), so this run also catches a missing skip.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install -q numpy pytest hypothesis "torch==2.13.0"
"$py" -m pip install -q --no-deps -e .
for extra in ml_dtypes threadpoolctl numba scipy; do
    if "$py" -c "import $extra" 2>/dev/null; then
        echo "numpy_only.sh: $extra is importable in the NumPy-only environment" >&2
        exit 1
    fi
done
PATH="$work/venv/bin:$PATH" "$py" -m pytest -p no:cacheprovider tests/ops tests/autograd tests/nn tests/amp tests/test_*.py
