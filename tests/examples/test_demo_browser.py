"""`ember demo` end to end: the digits app served by gradio, driven in headless Chromium through Selenium.

Needs Debian's chromium + chromium-driver and the selenium and gradio packages (.ci/install_browser.sh);
skips with the reason when one is missing. The preprocessing tests need only scikit-learn and Pillow.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

pytest.importorskip("sklearn")
Image = pytest.importorskip("PIL.Image")

from ember.examples import demo_app  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,1000"]


def render_digit(x, scale=24):
    """An 8x8 dataset digit as a picture a person would upload: dark ink on white paper, enlarged."""
    ink = np.kron(np.asarray(x, np.float32).reshape(8, 8) / 16.0, np.ones((scale, scale), np.float32))
    return Image.fromarray((255 - ink * 255).astype(np.uint8)).convert("RGB")


@pytest.fixture(scope="module")
def trained():
    model, accuracy = demo_app.train(epochs=10, quiet=True)
    return model, accuracy


def test_model_learns_digits(trained):
    _, accuracy = trained
    assert accuracy > 0.95


def test_uploaded_pictures_are_seen_like_the_training_digits(trained):
    """Dataset digits drawn as dark-on-white pictures come back close to the originals, and are recognised."""
    model, _ = trained
    _, _, x_test, y_test = demo_app.load_digits_split()
    seen = np.stack([demo_app.preprocess(render_digit(x)) for x in x_test])
    assert seen.shape == (len(x_test), 8, 8) and seen.min() >= 0 and seen.max() <= 16
    assert np.abs(seen.reshape(len(x_test), -1) - x_test).mean() < 1.0          # of a 0..16 range
    assert demo_app.evaluate(model, seen, y_test) > 0.9
    # light ink on a transparent canvas (a sketchpad's drawing) reads the same as dark ink on white
    rgba = np.zeros((192, 192, 4), np.uint8)
    rgba[..., 3] = 255 - np.asarray(render_digit(x_test[0]).convert("L"))
    np.testing.assert_allclose(demo_app.preprocess({"composite": Image.fromarray(rgba)}),
                               demo_app.preprocess(render_digit(x_test[0])), atol=0.5)
    assert demo_app.preprocess(Image.new("RGB", (50, 50), "white")) is None
    probabilities, preview = demo_app.predict(model, render_digit(x_test[0]))
    assert set(probabilities) == {str(d) for d in range(10)}
    assert abs(sum(probabilities.values()) - 1) < 1e-5 and preview.shape == (128, 128)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url, process, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def test_checkpoint_is_cached_and_reloaded(tmp_path, monkeypatch):
    path = str(tmp_path / "cache" / "digits.pt")
    first = demo_app.load_or_train(path, epochs=1)
    assert os.path.exists(path)
    monkeypatch.setattr(demo_app, "train", lambda *a, **k: pytest.fail("trained again despite the checkpoint"))
    second = demo_app.load_or_train(path)
    for (name, a), b in zip(first.state_dict().items(), second.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


@pytest.fixture
def demo_server(tmp_path, trained):
    pytest.importorskip("gradio", reason="the demo needs gradio (pip install 'ember[demo]')")
    import ember
    # the server loads the model trained above instead of training its own (saves time on slow machines)
    ember.save(trained[0].state_dict(), str(tmp_path / "digits.pt"))
    port = _free_port()
    log = open(tmp_path / "demo.log", "w")
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", NO_PROXY="127.0.0.1,localhost")
    process = subprocess.Popen([sys.executable, "-m", "ember", "demo", "--port", str(port),
                                "--checkpoint", str(tmp_path / "digits.pt")],
                               stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        if not _wait_for(url, process, timeout=180):
            log.flush()
            pytest.fail(f"the demo did not come up on {url}:\n{(tmp_path / 'demo.log').read_text()[-3000:]}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def browser(tmp_path):
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("headless Chromium and chromedriver are needed (.ci/install_browser.sh: "
                    "apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_upload_a_digit_and_see_the_prediction(demo_server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    _, _, x_test, y_test = demo_app.load_digits_split()
    index = next(i for i in range(len(y_test)) if y_test[i] == 3)
    picture = tmp_path / "digit.png"
    render_digit(x_test[index]).save(picture)

    wait = WebDriverWait(browser, 60)
    browser.get(demo_server)
    wait.until(ec.presence_of_element_located((By.ID, "classify-drawing")))
    assert "ember digits demo" in browser.title
    tab = next(b for b in browser.find_elements(By.CSS_SELECTOR, "button[role='tab']") if b.text == "Upload")
    tab.click()
    file_input = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#upload input[type='file']")))
    file_input.send_keys(str(picture))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#upload img")))
    wait.until(ec.element_to_be_clickable((By.ID, "classify-upload"))).click()
    label = wait.until(lambda d: d.find_element(By.ID, "prediction").text.strip() and
                       d.find_element(By.CSS_SELECTOR, "#prediction [data-testid='label-output-value']"))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#model-input img")))
    screenshot = tmp_path / "demo.png"
    browser.save_screenshot(str(screenshot))
    copy_to = os.environ.get("EMBER_DEMO_SCREENSHOT")
    if copy_to:
        shutil.copy(screenshot, copy_to)
    assert label.text.strip() == "3", browser.find_element(By.ID, "prediction").text
    assert "%" in browser.find_element(By.ID, "prediction").text          # the top classes with confidences
    assert Image.open(screenshot).size[0] > 0
