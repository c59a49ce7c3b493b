"""The evals command line; subcommands register here."""

from __future__ import annotations

import typer

from evals import adherence_calibration, bench, bench_wan, calibration, coverage, faults, policies

app = typer.Typer(name="evals", help="Kinema benchmarks, suites and reports.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.command("bench")(bench.main)
app.command("policies")(policies.main)
app.command("studio-coverage")(coverage.main)
app.command("bench-wan")(bench_wan.main)
app.command("judge-calibration")(calibration.main)
app.command("adherence-calibration")(adherence_calibration.main)
app.command("faults")(faults.main)
