"""Views of the api blueprint."""
