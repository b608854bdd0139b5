"""What every layer may use and none owns: metrics and tracing (a leaf: it imports no layer)."""
