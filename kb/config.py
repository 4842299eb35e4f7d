"""Settings from the environment, read once by create_app (never changed afterwards)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CONTENT_DIR = PACKAGE_DIR / "content"
MIGRATIONS_DIR = PACKAGE_DIR.parent / "migrations"

# Every request body is bounded, pages included (the API bounds its own bodies lower, kb.api_schemas).
# The tracer's form is the largest page form: a 20,000-character snippet, or 200 rows of parameters.
MAX_CONTENT_LENGTH = 1024 * 1024
MAX_FORM_MEMORY_SIZE = 256 * 1024  # one multipart field
MAX_FORM_PARTS = 500  # multipart fields (200 rows of two fields, and a few more)

_FALSE = {"0", "false", "no", "off", ""}
_TRUE = {"1", "true", "yes", "on"}


def env_flag(name: str, default: bool, environ=None) -> bool:
    """A boolean environment variable: 1/true/yes/on or 0/false/no/off (case-insensitive)."""
    environ = os.environ if environ is None else environ
    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be 1/0, true/false, yes/no or on/off, received {raw!r}")


def normalize_database_url(url: str) -> str:
    """Accept the usual postgres:// and postgresql:// spellings; ShapeKB talks to PostgreSQL through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "shapekb.sqlite3")


def from_env(instance_path: str, environ=None) -> dict:
    """The settings create_app starts from; test_config overrides any of them."""
    environ = os.environ if environ is None else environ
    port_raw = environ.get("PORT", "5000")
    try:
        port = int(port_raw)
    except ValueError:
        raise ValueError(f"PORT must be an integer, received {port_raw!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"PORT must be between 1 and 65535, received {port}")
    return {
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(
            environ.get("DATABASE_URL") or default_database_url(instance_path)
        ),
        "HOST": environ.get("HOST", "127.0.0.1"),
        "PORT": port,
        # Nothing signs cookies yet; a random key per process is safe until something does.
        "SECRET_KEY": environ.get("SECRET_KEY") or secrets.token_hex(32),
        "SHAPEKB_AUTO_SETUP": env_flag("SHAPEKB_AUTO_SETUP", True, environ),
        "SHAPEKB_CONTENT_DIR": environ.get("SHAPEKB_CONTENT_DIR") or str(CONTENT_DIR),
        "MAX_CONTENT_LENGTH": MAX_CONTENT_LENGTH,
        "MAX_FORM_MEMORY_SIZE": MAX_FORM_MEMORY_SIZE,
        "MAX_FORM_PARTS": MAX_FORM_PARTS,
    }
