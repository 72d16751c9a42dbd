"""The argument parser of every command of the project: usage errors as one line,
``error: <prog>: <problem>``, and exit status 2, like every other bad input."""
from __future__ import annotations

import argparse
import sys
from typing import NoReturn


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"error: {self.prog}: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)
