"""Legal on the real stack: the database guards, the anchored audit trail, the portal."""
