"""What operators run for prescreen: its crible commands, benchmark and eval."""
