"""The navigation bar: which pages each role sees, shown only for parts of the app that are installed."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from models.enums import Role

MANAGERS = {Role.manager, Role.admin}
EVERYONE = {Role.startup, Role.sponsor, Role.manager, Role.admin}

# (endpoint, label, roles)
ITEMS = [
    ("startup.suggestions", _l("Suggested challenges"), {Role.startup}),
    ("startup.interests", _l("My interests"), {Role.startup}),
    ("startup.proposals", _l("Proposals"), {Role.startup}),
    ("startup.profile", _l("Profile"), {Role.startup}),
    ("sponsor.challenges", _l("My challenges"), {Role.sponsor}),
    ("manager.dashboard", _l("Dashboard"), MANAGERS),
    ("manager.rounds", _l("Rounds"), MANAGERS),
    ("manager.programmes", _l("Programmes"), MANAGERS),
    ("account.tokens", _l("API tokens"), EVERYONE),
]


def nav_items() -> list[tuple[str, str]]:
    """Returns (endpoint, label) for the signed-in user's role."""
    if not current_user.is_authenticated:
        return []
    views = current_app.view_functions
    return [(endpoint, label) for endpoint, label, roles in ITEMS if current_user.role in roles and endpoint in views]


def init_app(app: Flask) -> None:
    app.context_processor(lambda: {"nav_items": nav_items})
