"""Retraining of the album model on a user's own albums (imports core, never Qt)."""
