"""Fast exact rematerialization at the scale of real networks (tightened stage model, warm starts, bounds)."""
