"""What a run writes and prints: the output files (``files``), the JSON document written
as it is produced (``document``), and the terminal's tables and messages (``console``)."""
