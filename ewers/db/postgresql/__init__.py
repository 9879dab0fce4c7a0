"""PostgreSQL that fails fast while it cannot be reached (``base.DatabaseWrapper``)."""
