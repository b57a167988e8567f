"""The marketplace blueprint; routes live in the modules imported below."""

from flask import Blueprint

bp = Blueprint("market", __name__)

from market.views import account, catalogue, public, registration  # noqa: E402, F401
from market.views.public import home  # noqa: E402, F401
