"""Each sub-command's own ``--help`` says what it does, as ``precedent --help`` lists it."""

from __future__ import annotations

import argparse

from precedent.cli.main import build_parser


def _commands(parser: argparse.ArgumentParser, prefix: str = "precedent") -> list[tuple[str, str, str]]:
    """``(command, listed help, its own --help)`` for every sub-command, nested ones too."""
    found: list[tuple[str, str, str]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for listed in action._choices_actions:
                sub = action.choices[listed.dest]
                name = f"{prefix} {listed.dest}"
                found.append((name, listed.help or "", sub.format_help()))
                found.extend(_commands(sub, name))
    return found


def test_every_sub_command_help_opens_with_what_it_does() -> None:
    # `precedent investigate --help` began at its usage and never said what the command does.
    commands = _commands(build_parser())
    assert {"precedent investigate", "precedent token create", "precedent changes record"} <= {
        name for name, _, _ in commands
    }
    for name, listed, own in commands:
        if name == "precedent mcp":  # its own description says more than its listing
            continue
        assert listed[0].upper() + listed[1:] in " ".join(own.split()), name


def test_serve_says_it_runs_the_webhook_worker_itself() -> None:
    # "run the HTTP API" sent a reader looking to `precedent worker` for the webhooks.
    listing = " ".join(build_parser().format_help().split())
    assert "serve run the HTTP API, the web pages, /mcp, and the webhook receiver with its worker" in listing


def test_investigate_public_only_does_not_say_the_owner_sees_everything() -> None:
    # It said the owner "sees everything otherwise", but a public or described incident never
    # cites a private precedent, whoever runs the command.
    help_of = {name: " ".join(own.split()) for name, _, own in _commands(build_parser())}
    investigate = help_of["precedent investigate"]
    assert "sees everything otherwise" not in investigate
    assert "a public or described incident cites only public precedents either way" in investigate
    # The commands without that rule still say so.
    assert "sees everything otherwise" in help_of["precedent search"]
