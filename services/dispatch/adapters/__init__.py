"""What dispatch talks to: PostgreSQL, HTTP (its API and console), the Transparency Database."""
