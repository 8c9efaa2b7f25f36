"""Stand-ins for outside servers that tests start on 127.0.0.1 (never a network service)."""
