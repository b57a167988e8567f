"""Public pages: home, the three lists, the directory and agency profiles. (stub)"""

from flask import render_template

from market.views import bp


def home():
    return render_template("home.html")


@bp.get("/items")
def service_items():
    return "stub"


@bp.get("/fees")
def fees():
    return "stub"


@bp.get("/agencies")
def directory():
    return "stub"
