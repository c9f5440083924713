"""JSON API v1 for programs: scanners, district spreadsheets, provincial reporting."""
