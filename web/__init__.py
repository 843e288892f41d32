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

    from web import cli, database, i18n
    from web.main import bp as main_bp

    database.init_app(app)
    i18n.init_app(app)
    cli.init_app(app)
    app.register_blueprint(main_bp)
    return app
