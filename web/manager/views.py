"""Views of the manager blueprint."""
