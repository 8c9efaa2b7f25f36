"""Tables of the probe service the runtime tests run."""
