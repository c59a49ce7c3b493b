"""Judges: backends that score a video's physics."""
