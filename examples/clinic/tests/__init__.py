"""The clinic's tests. ``tests.support`` (real daphne processes, socket clients) is the
repository's tests/support/, shared with PetLand's suite rather than copied: this package also
looks there, after its own folder."""

from pathlib import Path

__path__.append(str(Path(__file__).resolve().parents[3] / "tests"))  # noqa: F821 - a package's own __path__
