"""Test clients that behave like separate browsers."""

from flask import g
from flask.testing import FlaskClient

from tests.factories import login


class FreshRequestClient(FlaskClient):
    """The harness keeps one app context open for the whole test, so Flask reuses its `g`
    for every request; Flask-Login caches the signed-in user there, Flask-Babel the locale
    and Flask-WTF the CSRF token of the session it was made for. Forget them before each
    request, as a new request in production would."""

    def open(self, *args, **kwargs):
        for cached in ("_login_user", "_flask_babel", "csrf_token"):
            g.pop(cached, None)
        return super().open(*args, **kwargs)


def english_client(app, user=None) -> FreshRequestClient:
    """Another browser: its own cookies, English messages (asserted as their msgids),
    signed in as `user` when given."""
    client = FreshRequestClient(app, app.response_class, use_cookies=True)
    client.get("/lang/en")
    if user is not None:
        assert login(client, user).status_code == 302
    return client
