"""What operators run: the benchmark and dispatch's crible subcommands."""
