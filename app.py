"""Intermart application factory and the `intermart` command line.

Wires the domains together: core ← credit ← market ← inspection (ARCHITECTURE.md).
"""

from pathlib import Path

import click
from flask import Flask, current_app, has_request_context, redirect, request, session, url_for
from flask.cli import FlaskGroup, routes_command, shell_command
from flask_babel import format_date, format_datetime
from flask_login import current_user

from core import config as core_config
from core.db import configure_sqlite
from core.extensions import babel, bootstrap, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent


def _select_locale() -> str:
    # Chinese by default whatever the browser says; English when the user chooses it.
    # Outside a request (CLI, sweepers) there is no session: the platform default.
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    return session.get("lang", default) if has_request_context() else default


def _register_models() -> None:
    """Import every model module so metadata (and Alembic) sees all tables."""
    import core.audit  # noqa: F401
    import core.auth.models  # noqa: F401
    import core.calendar  # noqa: F401
    import core.notifications  # noqa: F401
    import core.randomness  # noqa: F401
    import core.scheduler  # noqa: F401
    import core.settings  # noqa: F401
    import credit.models  # noqa: F401
    import inspection.models  # noqa: F401
    import market.models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from core.admin_views import bp as admin_bp
    from core.auth.views import bp as auth_bp
    from core.draw_views import bp as draws_bp
    from credit.views import bp as credit_bp
    from inspection.views import bp as inspection_bp
    from market.views import bp as market_bp
    from market.views import home

    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(draws_bp, url_prefix="/draws")
    app.register_blueprint(credit_bp, url_prefix="/credit")
    app.register_blueprint(market_bp)
    app.register_blueprint(inspection_bp, url_prefix="/inspection")
    app.add_url_rule("/", "home", home)

    @app.get("/lang/<code>")
    def set_language(code: str):
        if code in app.config["LANGUAGES"]:
            session["lang"] = code
        target = request.referrer or url_for("home")
        return redirect(target if target.startswith(request.host_url) else url_for("home"))

    @app.get("/healthz")
    def healthz():
        from core.serving import health

        body = health()
        return body, 200 if body["status"] == "ok" else 503


def _declare_settings() -> None:
    from credit.settings import declare_all as declare_credit_settings
    from inspection.operations.plans import declare_settings as declare_inspection_settings
    from inspection.operations.tasks import declare_settings as declare_task_settings
    from market.operations.contracts import declare_settings as declare_contract_settings
    from market.operations.jobs import declare_settings as declare_job_settings
    from market.operations.selection import declare_settings as declare_selection_settings
    from market.rules import declare_settings as declare_market_rules_settings

    declare_credit_settings()
    declare_market_rules_settings()
    declare_job_settings()
    declare_selection_settings()
    declare_contract_settings()
    declare_inspection_settings()
    declare_task_settings()


def _register_sweepers() -> None:
    import credit.scheduled  # noqa: F401  (each registers its sweepers on import)
    import inspection.scheduled  # noqa: F401
    import market.scheduled  # noqa: F401


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance"),
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.update(core_config.load(Path(app.instance_path)))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "translations")
    if config:
        app.config.update(config)
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1)

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    _register_models()
    migrate.init_app(app, db, directory=str(ROOT / "migrations"),
                     render_as_batch=app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    bootstrap.init_app(app)

    from core.errors import register_error_pages

    register_error_pages(app)
    _register_blueprints(app)
    _register_sweepers()
    _declare_settings()
    app.jinja_env.filters["datetime"] = lambda v, f="yyyy-MM-dd HH:mm": \
        format_datetime(v, f) if v else ""
    app.jinja_env.filters["date"] = lambda v, f="yyyy-MM-dd": format_date(v, f) if v else ""

    @app.context_processor
    def _globals():
        from core.notifications import unread_count

        unread = unread_count(current_user) if current_user.is_authenticated else 0
        return {"current_user": current_user, "languages": app.config["LANGUAGES"],
                "current_lang": _select_locale(), "unread_notifications": unread}

    _register_commands(app)
    return app


# dependency order; each idempotent
DEMO_LOADERS = ("core.demo", "credit.demo", "market.demo", "inspection.demo")


def _register_commands(app: Flask) -> None:
    from importlib import import_module

    from core import audit, scheduler

    @app.cli.command("run")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=5000, type=int)
    @click.option("--no-scheduler", is_flag=True, help="Serve only.")
    def run_command(host: str, port: int, no_scheduler: bool):
        """Serve the platform with the scheduler embedded (demo and development)."""
        if not no_scheduler:
            scheduler.start(app)
        from werkzeug.serving import run_simple  # app.run() is ignored inside the Flask CLI

        click.echo(f"Intermart on http://{host}:{port}/")
        run_simple(host, port, app, threaded=True, use_reloader=False)

    @app.cli.command("serve")
    @click.option("--bind", default="127.0.0.1:8000", show_default=True)
    @click.option("--workers", type=int, default=None,
                  help="Worker processes [default: WEB_CONCURRENCY, else 2×cores+1, max 8].")
    @click.option("--timeout", type=int, default=60, show_default=True)
    def serve_command(bind: str, workers: int | None, timeout: int):
        """Serve with gunicorn, several workers, no scheduler (run `intermart scheduler` once)."""
        from core.serving import serve

        serve(create_app, bind=bind, workers=workers, timeout=timeout)

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False))
    def backup_command(path: str):
        """Write every table to PATH (portable between SQLite and PostgreSQL)."""
        from core.backup import backup

        counts = backup(path)
        click.echo(f"backup written to {path}: {sum(counts.values())} rows "
                   f"in {len(counts)} tables")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def restore_command(path: str):
        """Load a backup into an empty, migrated database (one transaction)."""
        from core.backup import BackupError, restore

        try:
            counts = restore(path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        report = audit.verify()
        click.echo(f"restored {sum(counts.values())} rows in {len(counts)} tables; audit chain "
                   + ("intact" if report.ok else f"BROKEN: {report.reason}"))
        if not report.ok:
            raise SystemExit(1)

    @app.cli.command("scheduler")
    def scheduler_command():
        """Run the sweepers alone (production: one such process, holding the lease)."""
        scheduler.start(app, blocking=True)

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load the demo data once; running it again changes nothing."""
        logins = []
        for name in DEMO_LOADERS:
            logins += import_module(name).load() or []
        db.session.commit()
        click.echo("Demo logins (username / password / role):")
        for username, password, role in logins:
            click.echo(f"  {username:<18} {password:<14} {role}")

    audit_group = click.Group("audit", help="The hash-chained audit log.")
    app.cli.add_command(audit_group)

    @audit_group.command("verify")
    def audit_verify_command():
        """Recompute the chain; report the first broken link (exit status 1 if any)."""
        report = audit.verify()
        if report.ok:
            click.echo(f"audit chain intact: {report.checked} entries")
            return
        where = f"entry {report.broken_at}" if report.broken_at else "the end of the chain"
        click.echo(f"audit chain BROKEN at {where}: {report.reason} "
                   f"({report.checked} entries before it are intact)", err=True)
        raise SystemExit(1)

    @app.cli.command("verify-draw")
    @click.argument("draw_id", type=int)
    def verify_draw_command(draw_id: int):
        """Recompute a draw from its published seed and candidates (exit status 1 if it
        does not match, or is not made yet)."""
        from flask_babel import force_locale

        from core.randomness import Draw, describe, verify

        record = db.session.get(Draw, draw_id)
        if record is None:
            raise click.ClickException(f"no draw {draw_id}")
        with force_locale("en"):  # the domains' derived checks speak the report's language
            check = verify(record)
        click.echo(describe(record, check))
        if not check.ok:
            raise SystemExit(1)


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False)
def cli():
    """Intermart — online intermediary-service marketplace."""


cli.add_command(shell_command)
cli.add_command(routes_command)
