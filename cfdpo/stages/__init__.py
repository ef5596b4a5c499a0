"""Stages: library functions that take typed configs and paths and compose the commands ' runs."""
