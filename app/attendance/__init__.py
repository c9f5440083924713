"""Attendance: who came to which session, how it was recorded, and what was refused."""
