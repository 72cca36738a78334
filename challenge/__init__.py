"""A team's own stand-in for the challenge platform: `sapsoup serve` and `sapsoup submit`."""
