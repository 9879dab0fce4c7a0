"""Database backends of the project (settings ``DATABASES``)."""
