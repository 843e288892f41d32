"""Views of the sponsor blueprint."""
