"""``hiring-audit``: export/import history, verify every verdict, as-of, what-if, interviewer calibration.

Exit codes: 0 everything matches (or the command succeeded), 1 discrepancies found, 2 bad input.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import typer
from pydantic import BaseModel

from schemas.envelope import format_time
from services.audit.domain.asof import as_of
from services.audit.domain.calibration import calibration
from services.audit.domain.dlq import dlq_words
from services.audit.domain.history import group
from services.audit.domain.proofs import as_discrepancy, with_findings
from services.audit.domain.report import AsOfReport, VerifyReport, WhatIfReport
from services.audit.domain.transparency import divergences
from services.audit.domain.verify import verify_logs
from services.audit.domain.whatif import ThresholdError, parse_overrides, thresholds_for, what_if
from services.audit.entrypoints.calibration_html import write_html as write_calibration_html
from services.audit.entrypoints.html import MAX_INTERVIEWS, write_html
from services.audit.entrypoints.options import (
    FROM,
    JSON,
    PREFIX,
    QUIET,
    SERVERS,
    emit,
    fail,
    gc_paused,
    parse_time,
    read,
    read_spooled,
)
from services.audit.entrypoints.privacy import text_keys
from services.audit.entrypoints.progress import progress_bar, stderr_console
from services.audit.entrypoints.render import print_as_of, print_calibration, print_verify, print_what_if
from services.audit.entrypoints.transfer import export_command, import_command
from services.audit.entrypoints.transparency import checkpoint_app, prove_command
from services.audit.entrypoints.trees import kept_checkpoints, read_trees, verifiers
from services.audit.entrypoints.whatif_html import write_html as write_whatif_html
from services.decision.domain.calibration import CalibrationReport
from services.decision.domain.policy import versions
from services.platform.cli_habits import app as cli_app
from services.platform.cli_habits import stdout_console

app = cli_app(help="Audit hiring-pipeline: replay history, prove every verdict, as-of, what-if.",
                  no_args_is_help=True, pretty_exceptions_enable=False)  # fmt: skip
SCHEMAS: dict[str, type[BaseModel]] = {
    "verify": VerifyReport, "as-of": AsOfReport, "what-if": WhatIfReport, "calibration": CalibrationReport,
}  # fmt: skip


@app.command()
def verify(
    from_dir: Path = FROM, prefix: str = PREFIX, servers: str = SERVERS, as_json: bool = JSON,
    html: Path = typer.Option(None, "--html", help="Also write a self-contained HTML report here."),
    reveal_text: bool = typer.Option(
        False, "--reveal-text", help="Open sealed text in the HTML timeline with the key store (needs the "
        "KEK: PRIVACY_KEK_FILE); erased candidates read [erased]. Default: text reads [sealed].",
    ),
    limit: int = typer.Option(50, help="Rows of discrepancies in the table."), quiet: bool = QUIET,
    checkpoints: Path = typer.Option(None, "--checkpoints", help="Also check the history still extends "
                                     "every checkpoint kept in this directory (ADR 0025)."),
    key: list[str] = typer.Option([], "--key", help="With --checkpoints: the log's verifier key."),
) -> None:  # fmt: skip
    """Recompute every revision and compare byte for byte; check sequences and hash chains."""
    kept = kept_checkpoints(checkpoints, verifiers(key)) if checkpoints is not None else None
    source = read_spooled(from_dir, servers, prefix, quiet)
    with source.spool, gc_paused(), progress_bar("verifying", source.size(), not quiet) as advance:
        logs = source.spool.logs()
        keep = MAX_INTERVIEWS if html is not None else 0  # interview audits kept for the HTML report
        audit = verify_logs(logs, dlq_words(source.dlq), source.description, advance, keep,
                            candidacy_records=source.candidacy)  # fmt: skip
    if kept is not None:
        trees = read_trees(from_dir, servers, prefix, quiet)
        diverged = [as_discrepancy(d) for d in divergences(kept, trees.logs)]
        audit = replace(audit, report=with_findings(audit.report, diverged))
    if html is not None:
        write_html(html, audit, text_keys(servers, prefix) if reveal_text else None)
        stderr_console().print(f"HTML report: {html}")
    if as_json:
        emit(audit.report, True, None)
    else:
        print_verify(stdout_console(), audit.report, limit)
    raise typer.Exit(0 if audit.report.ok else 1)


@app.command("as-of")
def as_of_command(
    interview: str = typer.Argument(None, help="Interview id (or --all)."),
    all_: bool = typer.Option(False, "--all", help="Every interview."),
    time: str = typer.Option(None, "--time", help="ISO 8601 time: events at or before it count."),
    sequence: int = typer.Option(None, "--sequence", min=0, help="Events up to this sequence count."),
    from_dir: Path = FROM, prefix: str = PREFIX, servers: str = SERVERS, as_json: bool = JSON,
    quiet: bool = QUIET,
) -> None:  # fmt: skip
    """The verdict in force at a time or sequence number, with its reasons (latest when neither)."""
    if (interview is None) == (not all_):
        raise fail("name one interview or pass --all")
    at = parse_time(time)
    source = read(from_dir, servers, prefix, quiet)
    logs = [g for g in group(source.interview, source.decision, source.dlq) if g.entries]
    chosen = [g for g in logs if all_ or g.interview_id == interview]
    if not chosen:
        raise fail(f"interview {interview!r} has no events in {source.description}")
    with gc_paused():
        verdicts = tuple(as_of(g, at, sequence, published=True) for g in chosen)
    report = AsOfReport(at_time=format_time(at) if at else None, at_sequence=sequence, verdicts=verdicts)
    emit(report, as_json, print_as_of)


@app.command("what-if")
def what_if_command(
    policy: str = typer.Option(None, "--policy", help=f"Policy version (known: {', '.join(versions())})."),
    threshold: list[str] = typer.Option([], "--threshold", help="NAME=VALUE, repeatable."),
    from_dir: Path = FROM, prefix: str = PREFIX, servers: str = SERVERS, as_json: bool = JSON,
    html: Path = typer.Option(None, "--html", help="Also write a self-contained HTML page (chart) here."),
    quiet: bool = QUIET,
) -> None:  # fmt: skip
    """How many latest verdicts would change under another policy or thresholds, which way and why."""
    if policy is not None and policy not in versions():
        raise fail(f"unknown policy version {policy!r}; known: {', '.join(versions())}")
    try:
        overrides = parse_overrides(threshold)
        thresholds_for(policy or "v1", overrides)
    except ThresholdError as exc:
        raise fail(str(exc)) from None
    source = read(from_dir, servers, prefix, quiet)
    with gc_paused():
        report = what_if(group(source.interview, source.decision, source.dlq), policy, overrides)
    if html is not None:
        write_whatif_html(html, report, source.description)
        stderr_console().print(f"HTML report: {html}")
    emit(report, as_json, print_what_if)


@app.command()
def schema(report: str = typer.Argument("verify", help="verify, as-of, what-if or calibration.")) -> None:
    """Print the JSON Schema of a ``--json`` report."""
    if report not in SCHEMAS:
        raise fail(f"no report {report!r}; choose one of {', '.join(SCHEMAS)}")
    typer.echo(json.dumps(SCHEMAS[report].model_json_schema(), indent=2))


@app.command("calibration")
def calibration_command(
    from_dir: Path = FROM, prefix: str = PREFIX, servers: str = SERVERS, as_json: bool = JSON,
    html: Path = typer.Option(None, "--html", help="Also write a self-contained HTML page (chart) here."),
    quiet: bool = QUIET,
) -> None:  # fmt: skip
    """Each interviewer's offset from the panel and agreement with final verdicts; flags supported offsets."""
    source = read(from_dir, servers, prefix, quiet)
    with gc_paused():
        report = calibration(group(source.interview, source.decision, source.dlq))
    if html is not None:
        write_calibration_html(html, report, source.description)
        stderr_console().print(f"HTML report: {html}")
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        print_calibration(stdout_console(), report)


app.command("export")(export_command)
app.command("import")(import_command)
app.command("prove")(prove_command)
app.add_typer(checkpoint_app, name="checkpoint")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
