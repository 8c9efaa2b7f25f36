"""What operators run: legal's `crible` subcommands and benchmarks."""
