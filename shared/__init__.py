"""What every Crible service uses: the runtime, event contracts, topics, configuration, CLI."""
