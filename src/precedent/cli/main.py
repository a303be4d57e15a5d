"""The ``precedent`` command: parses arguments, reads settings once, runs one async command.

Each command lives in its own module exposing ``register(subparsers)``; the handler it sets is
``async def run(args, settings) -> int``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING

from pydantic import ValidationError
from rich.console import Console

from precedent import __version__
from precedent.cli.logs import configure_logging
from precedent.cli.terminal_text import escape
from precedent.config import Settings, describe_invalid, metrics_dir_hidden, metrics_dir_problem
from precedent.errors import InvalidQuery, NotFound, PrecedentError, SchemaError, StoreLocked

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace, Settings], Coroutine[object, object, int]]


def _commands() -> tuple[ModuleType, ...]:
    """Each command module, one line each; each registers its own sub-command.

    Imported when the parser is built rather than with this module: the commands import
    ``precedent.metrics``, which prometheus-client backs with files in ``PROMETHEUS_MULTIPROC_DIR``,
    and ``main`` refuses a directory that is not there before that (``python -m precedent.cli.main``
    as the installed script), or hides it for ``--help`` and ``--version``.
    """
    from precedent.cli import (
        backup,
        changes,
        convert,
        demo,
        evaluate,
        generate,
        import_,
        investigate,
        mcp,
        neighbourhood,
        search,
        serve,
        services,
        similar,
        stats,
        sync,
        token,
        tune,
        worker,
    )

    return (
        backup,
        changes,
        convert,
        demo,
        evaluate,
        generate,
        import_,
        investigate,
        mcp,
        neighbourhood,
        search,
        serve,
        services,
        similar,
        stats,
        sync,
        token,
        tune,
        worker,
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="precedent",
        description="A knowledge map of production for incident response, built from incident.io.",
    )
    parser.add_argument("--version", action="version", version=f"precedent {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in _commands():
        command.register(subparsers)
    _describe_from_help(parser)
    return parser


def _describe_from_help(parser: argparse.ArgumentParser) -> None:
    """Open each sub-command's own ``--help`` with the line ``precedent --help`` lists it by.

    ``precedent investigate --help`` began at its usage and never said what the command does;
    a command that has a description of its own (``mcp``) keeps it.
    """
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for listed in action._choices_actions:
            sub = action.choices[listed.dest]
            if sub.description is None and listed.help:
                sub.description = listed.help[0].upper() + listed.help[1:] + "."
            _describe_from_help(sub)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    console = Console(stderr=True)
    # An unusable metrics directory is hidden while the parser imports the commands (and with them
    # prometheus-client), so --help and --version still answer; anything else is refused after.
    problem = metrics_dir_problem()
    with metrics_dir_hidden() if problem is not None else contextlib.nullcontext():
        args = build_parser().parse_args(argv)  # --help and --version answer and exit here
    if problem is not None:
        console.print(f"[red]error:[/red] invalid setting: {escape(problem)}")
        return 2
    try:
        settings = Settings()
    except ValidationError as exc:
        console.print(f"[red]error:[/red] invalid setting: {escape(describe_invalid(exc))}")
        return 2
    except ValueError as exc:
        console.print(f"[red]error:[/red] invalid PRECEDENT_* setting: {escape(str(exc))}")
        return 2
    configure_logging(settings.log_level, settings.log_format)
    handler: Handler = args.handler
    try:
        return asyncio.run(handler(args, settings))
    except PrecedentError as exc:
        console.print(f"[red]error:[/red] {escape(str(_at_the_terminal(exc)) + _search_advice(exc))}")
        # A refusal naming the argument at fault (--label Nope, found by the map) is the command
        # misused, as a flag argparse refuses (--depth 9) is: 2, so a script tells it from a failure.
        # So is a filter naming nothing in the map (`services --team nobody`, the API's 404 naming
        # its field); a service named as the command's subject (`service nope`) is not found: 1.
        misused = isinstance(exc, InvalidQuery | SchemaError | NotFound) and exc.field is not None
        return 2 if misused else 1
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`precedent similar --json ... | head`): stop quietly, as `cat` does.
        # Output still buffered would raise again when Python flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def _at_the_terminal(exc: PrecedentError) -> PrecedentError:
    """A locked map's refusal with what to do from the command line, unless the command said it."""
    if isinstance(exc, StoreLocked) and not exc.is_advised:
        return exc.advised(
            "From the command line: stop that process (Ctrl-C where it runs) to run this command, or "
            "run a command that only reads beside it (search, similar, stats, neighbourhood, services, "
            "service, token list, investigate --no-save, evaluate, tune --dry-run)"
        )
    return exc


def _search_advice(exc: PrecedentError) -> str:
    """Where to look next when a named incident or service is not in the map (the API says its own)."""
    if isinstance(exc, NotFound) and exc.kind in ("incident", "service"):
        return f"; find the {exc.kind} by its words with `precedent search WORDS`"
    return ""


if __name__ == "__main__":
    sys.exit(main())
