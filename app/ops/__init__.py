"""Operations: backups and restores of the database (the CLI calls these services)."""
