"""The DuckDB engine: the measures as SQL over Arrow (issue "One engine for every file size")."""
