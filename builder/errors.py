"""The one exception sapsoup raises for bad input: its message is the one line the user sees."""


class CheckpointError(Exception):
    """A checkpoint (or a set of them) cannot be read, merged or written as asked.

    The message names the file (and tensor, where there is one) and the problem.
    """
