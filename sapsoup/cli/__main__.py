"""`python -m sapsoup.cli`: the same command line as `sapsoup`."""

from sapsoup.cli import main

main()
