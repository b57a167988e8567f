"""The credit blueprint; routes live in the modules imported below."""

from flask import Blueprint

bp = Blueprint("credit", __name__)

from credit.views import disclosure, lists, public, repair  # noqa: E402, F401
