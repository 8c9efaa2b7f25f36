"""Unit tests of the dispatch core."""
