"""Getting events to sockets: the channel-layer transport, the per-process hub and its index, budgets, stats, shutdown."""
