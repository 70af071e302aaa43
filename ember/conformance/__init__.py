"""A conformance suite: PyTorch programs in the style of the public examples, tutorials and the d2l book,
each run under real torch and under ember (through `ember run-torch`), their printed metrics compared.

    python -m ember.conformance                 # every program, a table of results
    python -m ember.conformance mnist_cnn vae   # some of them

The programs live in programs/ and import only torch (and NumPy/the standard library); their data is
generated on the fly in the real file formats (MNIST idx files, text corpora, PNG folders, CSV) by the
sibling module programs/_data.py. See runner.py for how results are compared.
"""
