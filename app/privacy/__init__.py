"""Data-subject rights for participants: see, download and anonymise what is held about a person."""
