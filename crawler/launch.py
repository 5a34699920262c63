"""The `liputan` command's entry point.

Importing the CLI (click, the commands, and through them Scrapy or the index) takes a few
hundred milliseconds; Ctrl-C in that time used to end in a KeyboardInterrupt traceback.
Here it ends like Ctrl-C at any later moment: one line, exit 130 (README, exit codes), and
so does one that lands as a command is exiting.
"""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C (SIGINT)


def main() -> None:
    try:
        from crawler.cli import main as cli_main

        cli_main()  # its commands answer Ctrl-C themselves; this catches the edges
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(EXIT_INTERRUPTED)
