"""Django's SQLite backend, with the "%s" → "?" conversion of a statement remembered (see base.py)."""
