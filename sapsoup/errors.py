"""The base of every exception sapsoup raises for bad input or a refused request.

Its message is the one line a user sees: it names the file (or tensor, utterance, option) and the
problem. The command line turns any `SapsoupError` into that line and exit status 1, so a command needs
no list of its own; anything else that escapes is a bug and keeps its traceback.
"""


class SapsoupError(Exception):
    """Bad input or a refused request; `str(error)` is a complete one-line explanation."""
