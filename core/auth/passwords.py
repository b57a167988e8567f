"""Password hashing and the minimum-strength rule."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

# A few of the most common passwords seen in Chinese leaks; refused whatever their length.
COMMON = {"12345678", "123456789", "1234567890", "password", "password1", "qwerty123",
          "11111111", "88888888", "abc12345", "a1234567", "iloveyou", "woaini1314",
          "admin123", "admin888", "1q2w3e4r", "qwertyuiop", "00000000", "147258369"}


def strength_problem(password: str, username: str = "") -> str | None:
    """None when acceptable, else the reason shown to the user."""
    min_length = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < min_length:
        return str(_l("At least %(n)d characters.", n=min_length))
    if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
        return str(_l("Use both letters and digits."))
    if password.lower() in COMMON or (username and username.lower() in password.lower()):
        return str(_l("This password is too easy to guess."))
    return None


def hash_password(password: str) -> str:
    # Tests set a cheap method; production keeps Werkzeug's default (scrypt).
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    return generate_password_hash(password, method) if method else generate_password_hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)
