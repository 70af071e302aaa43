"""`ember demo`: a digits classifier served in the browser with gradio.

An MLP trained on scikit-learn's 8x8 handwritten digits (a few seconds, then cached) classifies what
you draw or upload. The picture is turned into what the training images look like: dark-on-light
pictures are inverted to light ink on black, the ink is cropped and centred in a square, and the square
is averaged down to 8x8 with values 0..16 (each dataset pixel counts the set pixels of a 4x4 block of
a 32x32 bitmap, i.e. the ink coverage times 16).

    ember demo [--port 7860] [--host 127.0.0.1] [--checkpoint PATH] [--retrain] [--epochs N]
"""
import os

import numpy as np

import ember
from ember import nn
from ember.examples._common import OneLineParser, positive

DEFAULT_CHECKPOINT = os.path.join(os.path.expanduser("~"), ".cache", "ember", "demo_digits_mlp.pt")


def build_model():
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def load_digits_split(seed=0):
    """(x_train, y_train, x_test, y_test): images flattened to 64 values in 0..16, a fixed 80/20 split."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    order = np.random.RandomState(seed).permutation(len(digits.target))
    cut = int(0.8 * len(order))
    x, y = digits.data.astype(np.float32), digits.target.astype(np.int64)
    return x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]


def _inputs(x):
    return ember.tensor(np.asarray(x, np.float32).reshape(-1, 64) / 16.0)


def train(epochs=15, batch_size=64, seed=0, quiet=False):
    """Train the MLP with Adam; returns (model, test accuracy)."""
    ember.manual_seed(seed)
    x_train, y_train, x_test, y_test = load_digits_split(seed)
    model = build_model()
    optimizer = ember.optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.RandomState(seed)
    inputs, targets = _inputs(x_train), ember.tensor(y_train)
    for epoch in range(epochs):
        order = ember.tensor(rng.permutation(len(y_train)))
        for start in range(0, len(y_train), batch_size):
            idx = order[start:start + batch_size]
            loss = nn.functional.cross_entropy(model(inputs[idx]), targets[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    accuracy = evaluate(model, x_test, y_test)
    if not quiet:
        print(f"digits MLP: {epochs} epochs, test accuracy {accuracy:.3f}")
    return model.eval(), accuracy


def evaluate(model, images, labels):
    with ember.no_grad():
        predicted = model(_inputs(images)).argmax(1).numpy()
    return float((predicted == np.asarray(labels)).mean())


def load_or_train(checkpoint=DEFAULT_CHECKPOINT, retrain=False, epochs=15):
    """The cached model when the checkpoint exists (and retrain is off); otherwise train and save it."""
    model = build_model()
    if checkpoint and os.path.exists(checkpoint) and not retrain:
        model.load_state_dict(ember.load(checkpoint, weights_only=True))
        return model.eval()
    model, _ = train(epochs)
    if checkpoint:
        os.makedirs(os.path.dirname(os.path.abspath(checkpoint)), exist_ok=True)
        ember.save(model.state_dict(), checkpoint)
    return model


def _to_array(image):
    """A PIL image, a NumPy array (H, W[, C]) or a gradio ImageEditor value -> float RGBA-free gray in [0, 1]."""
    from PIL import Image
    if isinstance(image, dict):             # gr.Sketchpad / ImageEditor: the flattened drawing
        image = image.get("composite")
    if image is None:
        return None
    if not isinstance(image, Image.Image):
        array = np.asarray(image)
        if array.dtype != np.uint8:
            scale = 255.0 if array.max() <= 1.0 else 1.0
            array = np.clip(array * scale, 0, 255).astype(np.uint8)
        image = Image.fromarray(array)
    if image.mode in ("RGBA", "LA", "P"):
        # transparent pixels are background: lay the picture on white paper
        paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, image.convert("RGBA"))
    return np.asarray(image.convert("L"), np.float32) / 255.0


def preprocess(image):
    """Any picture of one digit -> (8, 8) float32 in 0..16 laid out like sklearn's digits (None if blank)."""
    from PIL import Image
    gray = _to_array(image)
    if gray is None:
        return None
    background = float(np.median(np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])))
    ink = 1.0 - gray if background > 0.5 else gray              # the dataset has light ink on black
    ink = np.clip(ink - min(background, 1.0 - background), 0.0, None)    # the paper's own tone is not ink
    if ink.max() < 0.1:
        return None
    ink /= ink.max()
    rows = np.flatnonzero(ink.max(1) > 0.05)
    cols = np.flatnonzero(ink.max(0) > 0.05)
    ink = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    # centre in a square: the digits were size-normalised to fill their box along the longer side
    side = max(ink.shape)
    square = np.zeros((side, side), np.float32)
    top, left = (side - ink.shape[0]) // 2, (side - ink.shape[1]) // 2
    square[top:top + ink.shape[0], left:left + ink.shape[1]] = ink
    size = 8 * max(1, -(-side // 8))         # a multiple of 8, so the box filter averages whole blocks
    big = Image.fromarray(square).resize((size, size), Image.BILINEAR)
    small = big.resize((8, 8), Image.BOX)
    return np.clip(np.asarray(small, np.float32) * 16.0, 0, 16)


def predict(model, image):
    """{'0': p0, ..., '9': p9} for gr.Label, plus the 8x8 input as a picture; empty when nothing is drawn."""
    digit = preprocess(image)
    if digit is None:
        return {}, None
    with ember.no_grad():
        probabilities = nn.functional.softmax(model(_inputs(digit)), dim=1)[0].numpy()
    preview = np.kron(digit / 16.0, np.ones((16, 16), np.float32))     # 128x128 nearest-neighbour view
    return {str(d): float(p) for d, p in enumerate(probabilities)}, (preview * 255).astype(np.uint8)


def build_interface(model):
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    def classify(image):
        return predict(model, image)

    with gr.Blocks(title="ember digits demo", analytics_enabled=False) as demo:
        gr.Markdown("# ember digits demo\nDraw a digit (0-9) or upload a picture of one; an MLP trained "
                    "with ember on scikit-learn's 8x8 digits classifies it.")
        with gr.Row():
            with gr.Column():
                with gr.Tab("Draw"):
                    sketch = gr.Sketchpad(type="pil", image_mode="RGBA", canvas_size=(280, 280),
                                          brush=gr.Brush(default_size=18, colors=["#000000"]), elem_id="sketch")
                    draw_button = gr.Button("Classify drawing", variant="primary", elem_id="classify-drawing")
                with gr.Tab("Upload"):
                    upload = gr.Image(type="pil", image_mode="RGBA", sources=["upload", "clipboard"],
                                      label="Picture of a digit", elem_id="upload")
                    upload_button = gr.Button("Classify upload", variant="primary", elem_id="classify-upload")
            with gr.Column():
                label = gr.Label(num_top_classes=3, label="Prediction", elem_id="prediction")
                seen = gr.Image(label="What the model sees (8x8)", interactive=False, elem_id="model-input")
        draw_button.click(classify, inputs=sketch, outputs=[label, seen])
        upload_button.click(classify, inputs=upload, outputs=[label, seen])
    return demo


def main(argv=None):
    parser = OneLineParser(prog="ember demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=positive, default=7860)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT,
                        help="where the trained model is cached (default: %(default)s)")
    parser.add_argument("--retrain", action="store_true", help="train again even if the checkpoint exists")
    parser.add_argument("--epochs", type=positive, default=15)
    args = parser.parse_args(argv)
    try:
        import gradio  # noqa: F401
    except ImportError:
        from ember._extras import missing_message
        parser.error(missing_message("gradio", "the demo"))
    model = load_or_train(args.checkpoint, args.retrain, args.epochs)
    build_interface(model).launch(server_name=args.host, server_port=args.port, share=False,
                                  footer_links=[], show_error=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
