"""Cross-cutting pieces: home page, language switch, Vietnamese text and formats."""
