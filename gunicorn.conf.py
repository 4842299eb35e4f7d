"""gunicorn settings, read from the working directory by `gunicorn -w 4 'app:app'`.

Binds HOST:PORT like `python app.py`. With SHAPEKB_AUTO_SETUP on (the default) the master process
upgrades the database and syncs the content once, before the workers start. With several hosts, run
`flask --app app db upgrade` and `flask --app app kb sync` once as a release step and set
SHAPEKB_AUTO_SETUP=0 on the hosts.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
accesslog = "-"


def on_starting(server):
    from kb.config import env_flag

    if not env_flag("SHAPEKB_AUTO_SETUP", True):
        return
    from kb import create_app
    from kb.extensions import db
    from kb.sync import setup_database

    app = create_app()
    report = setup_database(app)
    server.log.info("database ready; %s", str(report).replace("\n", "; "))
    with app.app_context():
        db.engine.dispose()  # no connection of the master is inherited by the workers
