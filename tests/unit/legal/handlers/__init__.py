"""Legal's handlers against Fake ports."""
