"""Views of the account blueprint."""
