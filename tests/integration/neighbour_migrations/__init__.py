"""A second service's migrations, applied by the privilege tests only (then dropped)."""
