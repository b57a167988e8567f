"""Domain errors and the HTML error pages.

Operations raise these; views turn them into a form message or the matching status.
"""

from flask import Flask, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError


class DomainError(Exception):
    status = 400


class NotAllowed(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """A state or uniqueness conflict: the request cannot apply to things as they are."""

    status = 409


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        403: _("Forbidden"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("File too large"),
        500: _("Server error"),
        503: _("Service unavailable"),
    }


def _explanations() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Please check what you entered."),
        403: _("You do not have permission to do this. Sign in with an account that has."),
        404: _("What you are looking for does not exist or is no longer public."),
        405: _("This address does not accept that kind of request."),
        409: _("This cannot be done in the current state."),
        413: _("The upload is larger than the platform accepts."),
        500: _("Something went wrong on our side. Nothing was saved; please try again."),
        503: _("The database is busy or unreachable. Nothing was saved; please try again "
               "in a moment."),
    }


def render_error(status: int, reason: str | None = None,
                 link: tuple[str, str] | None = None):
    """The error page; `link` (url, label) points somewhere useful from it."""
    return render_template("errors/error.html", status=status, title=_titles().get(status),
                           explanation=reason or _explanations().get(status),
                           link=link), status


def register_error_pages(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import HTTPException

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        description = None
        if error.description and error.description != type(error).description:
            description = error.description  # a reason given with abort(code, reason)
        return render_error(error.code or 500, description)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return render_error(400, _("The form expired or was not sent from this site. "
                                   "Please reload the page and submit again."))

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        return render_error(error.status, str(error))

    def _rolled_back(status: int, what: str, reason: str | None = None):
        """Roll the request's transaction back whole, log it, show the error page."""
        from core.extensions import db

        db.session.rollback()
        app.logger.exception("%s on %s", what, request.path)
        return render_error(status, reason)

    @app.errorhandler(IntegrityError)
    def _integrity_error(error: IntegrityError):
        # A unique key lost a race the form check could not see (two registrations of one
        # USCC at the same moment).
        return _rolled_back(409, "integrity conflict",
                            _("Someone else saved the same record at the same moment. "
                              "Nothing of yours was saved; reload the page and check."))

    @app.errorhandler(OperationalError)
    def _database_unavailable(error: OperationalError):
        # Lost connection, deadlock, lock timeout: not the user's fault.
        return _rolled_back(503, "database error")

    @app.errorhandler(500)
    def _server_error(error):
        return _rolled_back(500, "unhandled error")
