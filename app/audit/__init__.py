"""Audit trail: who changed what, when and from where."""
