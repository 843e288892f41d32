"""Views of the startup blueprint."""
