"""The legal officers' console, served by the legal service under ``/console``."""
