"""The baseline of the load benchmark: a bare Flask app with one route, served by gunicorn the same way."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
