"""`flask kb ...` commands (the `flask db ...` commands come from Flask-Migrate)."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from kb.content import ContentError, load_entries

kb_cli = AppGroup("kb", help="ShapeKB content commands.")


def _content_dir(directory: Path | None) -> Path:
    return Path(directory or current_app.config["SHAPEKB_CONTENT_DIR"])


_dir_option = click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Content directory (default: SHAPEKB_CONTENT_DIR).",
)


@kb_cli.command("sync")
@_dir_option
@click.option("--force", is_flag=True, help="Rewrite every entry, even those whose file did not change.")
def sync_command(directory: Path | None, force: bool) -> None:
    """Load the content files into the database (upsert by slug, one transaction)."""
    from kb.sync import sync_directory

    try:
        report = sync_directory(_content_dir(directory), force=force)
    except ContentError as err:
        click.echo(f"error: {err}", err=True)
        click.echo("nothing was written to the database.", err=True)
        raise click.exceptions.Exit(1) from None
    except sa.exc.DBAPIError as err:
        click.echo(f"error: the database refused the sync: {err.orig}", err=True)
        click.echo("nothing was written; is the schema up to date (flask --app app db upgrade)?", err=True)
        raise click.exceptions.Exit(1) from None
    click.echo(str(report))


@kb_cli.command("check")
@_dir_option
def check_command(directory: Path | None) -> None:
    """Validate the content files without touching the database."""
    try:
        entries = load_entries(_content_dir(directory))
    except ContentError as err:
        click.echo(f"error: {err}", err=True)
        raise click.exceptions.Exit(1) from None
    click.echo(f"{len(entries)} entries are valid: {', '.join(e.slug for e in entries)}")


def init_app(app: Flask) -> None:
    app.cli.add_command(kb_cli)
