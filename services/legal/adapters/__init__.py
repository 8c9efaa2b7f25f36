"""What connects legal to the outside: PostgreSQL and HTTP."""
