"""Evaluations: satisfaction surveys and pre/post knowledge tests answered on phones."""
