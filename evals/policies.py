"""`python -m evals policies`: the budget-aware stop rule against fixed loops, on the same prompts.

Policies (all on the same prompts, seeds and backends, one candidate per round unless named):
- `single`: one round. `fixed-2`, `fixed-4`: exactly 2 or 4 refinement rounds (PhyT2V uses 4).
- `converge`: refine until the refiner has nothing new to change, at most 4 rounds.
- `best-of-4`: one round of 4 candidates with different seeds, the judge picks the best.
- `budget`: Kinema's stop rule and strategy choice, with the same caps as `fixed-4`
  (4 generations, 4 generations' worth of USD).
- `oracle`: the hindsight stop on `fixed-4`'s rounds: the first round that reached the best
  score `fixed-4` ever reached. No real policy can know it; regret is measured against it.

Generation is deterministic given the seed and a round's prompt and keyframes, and a fixed loop
makes every round the same way whatever its length, so `fixed-4` runs once per (prompt, seed)
and `single`, `fixed-2`, `converge` and `oracle` are read off its rounds: exactly what running
them would give. When `fixed-4` converges early, a fixed loop would repeat the same round
(same prompt, keyframes and seed: the same video), so it is charged its 4 calls with the score
unchanged; the same when it reaches a perfect score. `budget` and `best-of-4` run for real.

USD is priced by a stated table (`--price`, per generated clip) through a wrapper that bills it
the way a hosted generator would, so `--budget-usd`-style caps are exercised for real.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.context import Context
from agent.executors import ExecutorKind, run_all
from agent.state import Budget, Candidate, GenerationJob, RunRequest, RunResult
from tools.base import registry
from tools.errors import BadInputError, KinemaError

SUITE = Path(__file__).parent / "suites" / "policies.txt"
BENCHMARKS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
POLICIES = ("single", "fixed-2", "fixed-4", "converge", "best-of-4", "budget")
ROUNDS = 4
DEFAULT_PRICE = 0.10  # USD per generated clip, the stated price table


class PricedVideo:
    """A video backend billed at a fixed price per clip, as a hosted generator would bill."""

    def __init__(self, model: str | None = None, usd: float = DEFAULT_PRICE) -> None:
        self.inner = registry.resolve("video", model or "studio")
        self.spec = f"priced:{model or 'studio'}"
        self.accepts_keyframes = bool(getattr(self.inner, "accepts_keyframes", False))
        self.parallel_ok = bool(getattr(self.inner, "parallel_ok", False))
        self.usd_per_generation = usd

    def generate(self, job: GenerationJob, out_path: Path) -> Candidate:
        cand: Candidate = self.inner.generate(job, out_path)
        bill = cand.cost.model_copy(update={"usd": self.usd_per_generation})
        return cand.model_copy(update={"cost": bill})


def register_priced() -> None:
    registry.register("video", "priced", PricedVideo)


@dataclass
class Outcome:
    """One policy on one (prompt, seed): the best score and what it cost."""

    best: float
    calls: int
    usd: float
    seconds: float
    within_budget: bool = True


@dataclass
class PairResult:
    """Every policy on one (prompt, seed), plus fixed-4's best score after each round."""

    prompt: str
    seed: int
    outcomes: dict[str, Outcome]
    fixed4_rounds: list[float]
    oracle_round: int
    budget_strategies: list[str] = field(default_factory=list)


def policy_contexts(base: Context, price: float) -> dict[str, Context]:
    """The Contexts of the policies that run for real; `fixed-4` never stops before its cap.

    `budget` gets both caps: 4 generations, and 4 clips' worth of USD plus 5% for the planner
    and the refiner when they bill.
    """
    calls = Budget(max_generations=ROUNDS)
    fixed = dict(target=1.0, min_gain=0.0, patience=64, usd_per_point=1e12, reseed=False,
                 candidates_per_round=1, budget=calls)
    dollars = Budget(max_generations=ROUNDS, max_usd=round(ROUNDS * price * 1.05, 6))
    return {
        "fixed-4": base.model_copy(update=fixed),
        "best-of-4": base.model_copy(update={"candidates_per_round": ROUNDS, "budget": calls}),
        "budget": base.model_copy(update={"budget": dollars}),
    }


def _outcome(result: RunResult, budget: Budget) -> Outcome:
    led = result.ledger
    within = ((budget.max_generations is None or led.generations <= budget.max_generations)
              and (budget.max_usd is None or led.usd <= budget.max_usd + 1e-9))
    return Outcome(best=result.best.score if result.best else 0.0, calls=led.generations,
                   usd=led.usd, seconds=led.seconds, within_budget=within)


def derive_from_fixed(result: RunResult, price: float) -> tuple[dict[str, Outcome], list[float],
                                                                 int]:
    """`single`, `fixed-2`, `fixed-4`, `converge` and `oracle` from one fixed-4 run's rounds."""
    rounds = result.iterations
    # Stopping early is exact only when more rounds could not change the answer: the refiner
    # had nothing new (the loop would repeat itself) or the score is perfect.
    if len(rounds) < ROUNDS and result.stop_reason not in ("converged", "target_reached"):
        raise RuntimeError(f"fixed-4 stopped after {len(rounds)} rounds ({result.stop_reason})")
    scores = [max((v.score for v in it.verdicts), default=0.0) for it in rounds]
    best_so_far = [max(scores[: k + 1]) for k in range(len(scores))]
    best_so_far += [best_so_far[-1]] * (ROUNDS - len(best_so_far))  # a converged loop repeats
    round_seconds = [it.cost.seconds for it in rounds]
    setup = max(0.0, result.ledger.seconds - sum(round_seconds))
    round_seconds += [statistics.fmean(round_seconds)] * (ROUNDS - len(round_seconds))

    def after(k: int) -> Outcome:
        return Outcome(best=best_so_far[k - 1], calls=k, usd=k * price,
                       seconds=setup + sum(round_seconds[:k]))

    oracle_round = best_so_far.index(best_so_far[-1]) + 1
    outcomes = {"single": after(1), "fixed-2": after(2), "fixed-4": after(ROUNDS),
                "converge": after(len(rounds)), "oracle": after(oracle_round)}
    return outcomes, best_so_far, oracle_round


def run_pair(prompt: str, seed: int, base: Context, request: dict[str, Any],
             price: float) -> PairResult:
    """Runs `fixed-4`, `best-of-4` and `budget` on one (prompt, seed) and derives the rest."""
    from agent.runner import run

    register_priced()
    ctxs = policy_contexts(base, price)
    req = RunRequest(prompt=prompt, seed=seed, **request)
    fixed = run(req, ctxs["fixed-4"])
    outcomes, trajectory, oracle_round = derive_from_fixed(fixed, price)
    results = {name: run(req, ctxs[name]) for name in ("best-of-4", "budget")}
    for name, result in results.items():
        outcomes[name] = _outcome(result, ctxs[name].budget)
    strategies = [it.strategy for it in results["budget"].iterations]
    return PairResult(prompt, seed, outcomes, trajectory, oracle_round, strategies)


def _run_pair_args(args: tuple[str, int, dict[str, Any], dict[str, Any], float]) -> PairResult:
    prompt, seed, base, request, price = args
    return run_pair(prompt, seed, Context.model_validate(base), request, price)


def load_prompts(planner_spec: str, suite: Path = SUITE) -> tuple[list[str], int]:
    """The suite's prompts plus the benchmark prompts the planner can simulate; and how many of
    those it skipped."""
    own: list[str] = []
    candidates: list[str] = []
    for line in suite.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            path = BENCHMARKS / line[1:]
            if not path.is_file():
                raise BadInputError(f"benchmark prompts {str(path)!r} not found: the comparison "
                                    "reads ../shared/benchmarks beside the repository")
            candidates += [p.strip() for p in path.read_text(encoding="utf-8").splitlines()
                           if p.strip()]
        else:
            own.append(line)
    simulable = [p for p in candidates if _simulable(planner_spec, p)]
    return own + simulable, len(candidates) - len(simulable)


def _simulable(planner_spec: str, prompt: str) -> bool:
    try:
        plan = registry.resolve("planner", planner_spec).plan(RunRequest(prompt=prompt))
    except KinemaError:
        return False
    return plan.scene is not None


def evaluate(prompts: Sequence[str], seeds: Sequence[int], base: Context,
             request: dict[str, Any], price: float, workers: int = 1,
             executor: ExecutorKind = "local",
             ray_address: str | None = None) -> list[PairResult]:
    """Every (prompt, seed) under every policy; in worker processes when `workers > 1`, or as
    Ray tasks with `executor="ray"`."""
    jobs = [(p, s, base.model_dump(mode="json"), request, price) for p in prompts for s in seeds]
    if executor == "ray":
        return run_all(_run_pair_args, jobs, kind="ray", workers=workers,
                       ray_address=ray_address)
    if workers <= 1:
        return [_run_pair_args(job) for job in jobs]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_run_pair_args, jobs))


def summarise(pairs: Sequence[PairResult]) -> dict[str, Any]:
    """Means per policy, regret against the oracle, fixed-4 per round, oracle stop rounds."""
    oracle = statistics.fmean(p.outcomes["oracle"].best for p in pairs)
    table: dict[str, dict[str, float]] = {}
    for name in (*POLICIES, "oracle"):
        rows = [p.outcomes[name] for p in pairs]
        mean_best = statistics.fmean(r.best for r in rows)
        table[name] = {
            "mean_best_score": round(mean_best, 4),
            "generator_calls": round(statistics.fmean(r.calls for r in rows), 3),
            "usd": round(statistics.fmean(r.usd for r in rows), 4),
            "seconds": round(statistics.fmean(r.seconds for r in rows), 3),
            "oracle_ratio": round(mean_best / oracle, 4) if oracle else 0.0,
            "regret": round(oracle - mean_best, 4),
            "over_budget_runs": sum(not r.within_budget for r in rows),
        }
    stops = [p.oracle_round for p in pairs]
    per_round = [round(statistics.fmean(p.fixed4_rounds[k] for p in pairs), 4)
                 for k in range(ROUNDS)]
    return {"policies": table, "fixed4_mean_best_after_round": per_round,
            "oracle_stop_round_counts": {str(k): stops.count(k) for k in range(1, ROUNDS + 1)},
            "runs": len(pairs)}


def render_table(summary: dict[str, Any], price: float) -> str:
    """The comparison as a Markdown table with the per-round and oracle lines under it."""
    lines = ["| policy | mean best score | generator calls | USD | seconds | oracle ratio | "
             "regret | over budget |", "|---|---|---|---|---|---|---|---|"]
    for name, row in summary["policies"].items():
        lines.append(f"| {name} | {row['mean_best_score']:.4f} | {row['generator_calls']:.2f} | "
                     f"{row['usd']:.3f} | {row['seconds']:.2f} | {row['oracle_ratio']:.4f} | "
                     f"{row['regret']:.4f} | {row['over_budget_runs']} |")
    lines += ["", f"runs: {summary['runs']} (prompt, seed) pairs; USD at ${price:.2f} per clip",
              "fixed-4 mean best score after rounds 1-4: "
              + ", ".join(f"{s:.4f}" for s in summary["fixed4_mean_best_after_round"]),
              "oracle stops at round 1/2/3/4: "
              + "/".join(str(v) for v in summary["oracle_stop_round_counts"].values())]
    return "\n".join(lines)


def plot(summary: dict[str, Any], path: Path) -> Path:
    """Mean best score against mean USD, one point per policy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for name, row in summary["policies"].items():
        marker = "*" if name == "budget" else ("x" if name == "oracle" else "o")
        # A legend, not labels at the points: the good policies sit on top of each other.
        ax.scatter(row["usd"], row["mean_best_score"], marker=marker,
                   s=80 if marker == "*" else 40, label=name, alpha=0.85)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel("mean USD per prompt")
    ax.set_ylabel("mean best score")
    ax.set_title("score against cost per policy")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def main(
    seeds: Annotated[int, typer.Option(help="Seeds per prompt (0..N-1).")] = 3,
    limit: Annotated[int | None, typer.Option(help="Use only the first N prompts.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (Ray: tasks at once).")] = 2,
    executor: Annotated[str, typer.Option(help="local or ray.")] = "local",
    ray_address: Annotated[str | None, typer.Option(
        help="Join this Ray cluster (auto, ray://host:10001); default: a local Ray.")] = None,
    price: Annotated[float, typer.Option(help="USD per generated clip.")] = DEFAULT_PRICE,
    video: Annotated[str, typer.Option(help="Video backend spec, billed at --price.")] = "studio",
    duration: Annotated[float, typer.Option(help="Clip length in seconds.")] = 2.0,
    fps: Annotated[int, typer.Option(help="Frames per second.")] = 15,
    width: Annotated[int, typer.Option(help="Frame width.")] = 320,
    height: Annotated[int, typer.Option(help="Frame height.")] = 180,
    out: Annotated[Path | None, typer.Option(help="Folder for the table, JSON and plot.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print {policy: numbers}.")] = False,
) -> None:
    """Compare the budget-aware stop rule with fixed loops, single shot and best-of-N."""
    if executor not in ("local", "ray"):
        raise typer.BadParameter("--executor must be local or ray")
    out_dir = out or Path(tempfile.mkdtemp(prefix="kinema-policies-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    base = Context(video=f"priced:{video}", out_dir=str(out_dir / "runs"),
                   options={"video": {"usd": price}})
    register_priced()
    prompts, skipped = load_prompts(base.planner)
    prompts = prompts[:limit] if limit else prompts
    request = {"duration_s": duration, "fps": fps, "width": width, "height": height}
    started = time.perf_counter()
    pairs = evaluate(prompts, range(seeds), base, request, price, workers,
                     "ray" if executor == "ray" else "local", ray_address)
    summary = summarise(pairs)
    summary.update(seconds_total=round(time.perf_counter() - started, 1),
                   prompts=len(prompts), benchmark_prompts_skipped=skipped, price_usd=price)
    (out_dir / "policies.json").write_text(json.dumps(
        {**summary, "pairs": [asdict(p) for p in pairs]}, indent=2) + "\n", encoding="utf-8")
    table = render_table(summary, price)
    (out_dir / "policies.md").write_text(table + "\n", encoding="utf-8")
    plot(summary, out_dir / "policies.png")
    if as_json:
        typer.echo(json.dumps({name: {k: row[k] for k in ("mean_best_score", "generator_calls",
                                                           "usd", "seconds", "oracle_ratio")}
                               for name, row in summary["policies"].items()}, indent=2))
    else:
        typer.echo(table)
        typer.echo(f"{len(prompts)} prompts ({skipped} benchmark prompts the studio cannot "
                   f"simulate skipped), {summary['seconds_total']} s; written to {out_dir}")
