"""The Flask app: pages and JSON API for startups, sponsors and programme managers."""

from __future__ import annotations

from flask import Flask

from web.config import config_from_env


def create_app(test_config: dict | None = None) -> Flask:
    """Creates the app. It only configures: no model loading, no migrations, no scheduler."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(config_from_env())
    if test_config:
        app.config.from_mapping(test_config)

    from web import access, cli, database, errors, i18n, nav, security, templating
    from web.account import bp as account_bp
    from web.api import bp as api_bp
    from web.auth import bp as auth_bp
    from web.extensions import csrf, login_manager
    from web.main import bp as main_bp
    from web.manager import bp as manager_bp
    from web.sponsor import bp as sponsor_bp
    from web.startup import bp as startup_bp

    security.init_app(app)
    database.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    nav.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(access.load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    # The API authenticates each request by token, so CSRF (a cookie-session attack) does not apply.
    csrf.exempt(api_bp)
    for blueprint in (main_bp, auth_bp, account_bp, startup_bp, sponsor_bp, manager_bp, api_bp):
        app.register_blueprint(blueprint)
    return app
