# Type stubs for the parts of Channels 4.3 that realtime/ and petland/ use (Channels ships none).
# pyproject.toml's [tool.mypy] mypy_path points here; they describe, they never run.
