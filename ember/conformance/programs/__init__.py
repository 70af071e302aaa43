"""The conformance programs: each is run as a script (`python prog.py`, `ember run-torch prog.py`), never
imported as part of ember."""
