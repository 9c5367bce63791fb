"""Uses of other libraries' private internals that the fan-out's speed rests on, one module per library."""
