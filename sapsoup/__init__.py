"""sapsoup: Whisper model soups for the Speech Accessibility Project Challenge."""

__version__ = "0.1.0"
