"""The marketplace blueprint; routes live in the modules imported below."""

from flask import Blueprint

bp = Blueprint("market", __name__)

from market.views import (  # noqa: E402, F401
    account,
    bids,
    catalogue,
    complaints,
    contracts,
    dashboards,
    jobs,
    public,
    registration,
    selection,
)
from market.views.public import home  # noqa: E402, F401
