"""What surge talks to: the intake (plain aiokafka) and faust (its transport, its tables)."""
