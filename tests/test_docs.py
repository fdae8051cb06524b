"""The README stays honest: every CLI command and every HTTP route is documented there."""

from __future__ import annotations

from conftest import ROOT
from huiqi.api import create_app
from huiqi.cli import app


def test_every_cli_command_is_in_the_readme():
    import typer.main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        for full in ([f"huiqi {name} {sub}" for sub in subcommands] if subcommands else [f"huiqi {name}"]):
            assert full in readme, full


def test_every_http_route_is_in_the_readme(library):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    routes = [route.path for route in create_app(library).routes if route.path.startswith("/api")]
    assert routes
    for path in routes:
        assert f"`GET {path}" in readme, path
