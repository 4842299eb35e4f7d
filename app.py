"""ShapeKB's entry point: `app` for WSGI servers, and `python app.py` for one-command serving.

- `python app.py`: upgrade the database, load kb/content/, serve on HOST:PORT
- `flask --app app db upgrade`: only the schema (Flask-Migrate); `flask --app app kb sync`: only the content
- `gunicorn -w 4 'app:app'`: production (gunicorn.conf.py sets the database up once, in the master)
"""

from __future__ import annotations

import logging
import sys

from sqlalchemy.engine import make_url

from kb import create_app

app = create_app()  # reads settings only: no database connection until a request or a command needs one


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if app.config["SHAPEKB_AUTO_SETUP"]:
        from kb.content import ContentError
        from kb.sync import setup_database

        try:
            setup_database(app)
        except ContentError as err:
            sys.exit(f"error: {err}\nthe content was not loaded; fix the file, then run python app.py again.")
    host, port = app.config["HOST"], app.config["PORT"]
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    app.logger.info("ShapeKB at http://%s:%s/ (database: %s)", host, port, database)
    app.run(host=host, port=port, debug=False, use_reloader=False)


if __name__ == "__main__":
    main()
