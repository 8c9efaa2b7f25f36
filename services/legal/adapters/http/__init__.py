"""The portal (authorities) and the officers' routes: domain errors become statuses here."""
