"""AI pre-screening: hash banks, URL lists, text rules and models, and the routing policy."""
