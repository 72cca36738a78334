"""The exception the checkpoint library raises: reading, merging, converting or selecting failed."""

from sapsoup.errors import SapsoupError


class CheckpointError(SapsoupError):
    """A checkpoint (or a set of them) cannot be read, merged or written as asked.

    The message names the file (and tensor, where there is one) and the problem.
    """
