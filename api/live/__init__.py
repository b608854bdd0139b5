"""Live events: the per-process hub that follows the event log, and the subscription types."""
