"""`python -m crawler.cli`: the `liputan` command."""

from crawler.cli import main

main()
