"""Hashing Book core."""
