"""``lantern doctor``: check this deployment's configuration (``portal.services.doctor``)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

_LABEL = {"ok": "ok", "warning": "WARNING", "problem": "PROBLEM"}


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option(
    "--min-free-mb",
    default=1024,
    show_default=True,
    type=click.IntRange(min=0),
    help="Free space the uploads disk must keep, in MB.",
)
def doctor(as_json: bool, min_free_mb: int) -> None:
    """Check this deployment (secrets, key files, database, Redis, mail, uploads, disk) and say
    what is wrong. Run it as the service user with the service's environment, in its working
    directory. Exits 1 when any check finds a problem."""
    from portal.services.doctor import MB, Deployment, Status, run_checks, worst

    findings = run_checks(
        Deployment(environ=os.environ, cwd=Path.cwd(), min_free_bytes=min_free_mb * MB)
    )
    outcome = worst(findings)
    if as_json:
        click.echo(
            json.dumps(
                {"status": outcome.value, "findings": [f.as_dict() for f in findings]}, indent=2
            )
        )
    else:
        width = max(len(f.check) for f in findings)
        for finding in findings:
            label = _LABEL[finding.status.value]
            click.echo(f"{label:<8} {finding.check:<{width}}  {finding.message}")
        problems = sum(f.status is Status.PROBLEM for f in findings)
        warnings = sum(f.status is Status.WARNING for f in findings)
        if problems:
            click.echo(f"\n{problems} problem(s), {warnings} warning(s): fix the problems first.")
        elif warnings:
            click.echo(f"\nNo problems; {warnings} warning(s) to consider.")
        else:
            click.echo("\nEverything looks right.")
    if outcome is Status.PROBLEM:
        sys.exit(1)


def register(main: click.Group) -> None:
    """Add ``lantern doctor`` to the command line."""
    main.add_command(doctor)
