"""jixiao beside its peers on the same job, in one run (a script, never a timed test).

    .venv/bin/pip install -e '.[bench]'        # zen-engine, for the GoRules Zen peer
    .venv/bin/python bench/peers.py            # 7 rounds of 2 CPU seconds per peer
    .venv/bin/python bench/peers.py --quick    # 3 rounds of 0.5 s: shows it works, figures rough

The job: score the Guangzhou policy (policies/gz-dept-2021.yaml) for one department's facts, already
validated, and return the total and every indicator's score, exact. The peers:

    jixiao_durable_full    engine.evaluate, durable_rules backend, full trace (the default): every score
                           computed, each scored indicator's explanation (computation, deductions) made
                           when it is first read, as a report or a reviewer reads it
    jixiao_durable_read    the same, and every explanation read (result.deductions()): the cost of a full
                           report's trace, for comparison with the line above
    jixiao_durable_scores  the same, detail="scores" (no computation texts, no deductions)
    jixiao_native_full     engine.evaluate, NativeBackend (the Python oracle), full trace
    plain_decimal_trace    bench/plain_decimal.py score_traced: the rules hand-coded in Decimal, no engine,
                           building every deduction (rule id, item, points, threshold, facts, computation)
    plain_decimal          bench/plain_decimal.py score: the same, scores only
    zen_trace              GoRules Zen on bench/zen/gz-dept-2021.json, trace on
    zen                    the same, trace off
    durable_floor          bench/durable_floor.py: a bare durable_rules ruleset of the same rules

Fairness: every peer runs in its own process, all pinned to the same core (``--core``, default the
highest-numbered core this process may use), one peer at a time while the others wait idle; each
cycles through the same inputs (the seed facts and 199 perturbed copies, as bench/bench.py makes
them), prepared once in the peer's own form before timing (jixiao's validated facts; the same values
as a mapping for the hand-written scorers; the same values as JSON text for Zen, so that its decimals
stay exact). Before anything is timed every peer scores the timed inputs plus the 7% variance file
and branch cases (every branch of every rule), and its total and every indicator score must equal
the engine's exactly (compared as decimals, never floats), and a peer that builds deductions (jixiao's
full trace, plain_decimal_trace) must give the engine's deductions (rule, item and points, in order),
or the run stops. The target "native full trace ÷ plain Decimal" divides by plain_decimal_trace, the
peer doing the same job (a full trace); the scores-only ratio is printed beside it. Rates are evaluations
per CPU second of the peer's process (time the host gave to other work does not count), measured in
rounds with the peer order rotated each round; a ratio is the median of the per-round ratios, so
that both sides of a ratio were measured minutes, not hours, apart.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import itertools
import multiprocessing
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from bench import plain_decimal  # noqa: E402
from bench.bench import variants  # noqa: E402

POLICY = ROOT / "policies" / "gz-dept-2021.yaml"
SEED = ROOT / "facts" / "gz-kjj-2021.yaml"
VARIANCE = ROOT / "facts" / "gz-kjj-2021-variance-7pct.yaml"
ZEN_GRAPH = ROOT / "bench" / "zen" / "gz-dept-2021.json"
SEED_TOTAL = "94.622"  # the seed report's total; the engine must reproduce it before anything is compared

# Facts changed from the seed so that, with the seed itself, every branch of every rule is scored
# (each threshold's both sides and its edge, every band, 扣完为止, both caps, every kind of target).
# A derived fact set to None is removed, so that it is derived from its changed inputs.
_TARGETS = ("[{name: 论文, target: 100, actual: 80, direction: higher, unit: 篇}, "
            "{name: 办理时限, target: 10, actual: 8, direction: lower, unit: 天}, "
            "{name: 投诉数, target: 5, actual: 10, direction: lower, unit: 件}]")
BRANCH_CASES: tuple[tuple[str, Mapping[str, str | None]], ...] = (
    ("多处扣分，减分封底", {
        "预算完成率": "70", "财政拨款收入预决算差异率": "3", "一般公共预算支出年度平均执行率": "95", "结转结余率": "6",
        "预算编制报送及时准确": "false", "政府采购执行率": "100", "预决算信息公开": "false", "绩效信息公开": "false",
        "资产账实相符": "false", "实际在用固定资产总额": "11000", "固定资产使用率": None,
        "实际支出公用经费总额": "490", "公用经费控制率": None, "三公经费实际支出数": "190", "三公经费控制率": None,
        "已实现绩效目标数": "18", "绩效目标完成率": None, "绩效运行监控及自评报送": "false", "绩效结果应用": "false",
        "部门整体绩效目标": _TARGETS, "工作表现加减分": "-8"}),
    ("成本超支，加分封顶", {
        "预算完成率": "100", "财政拨款收入预决算差异率": "8", "实际在用固定资产总额": "9000", "固定资产使用率": None,
        "实际支出公用经费总额": "520", "公用经费控制率": None, "三公经费实际支出数": "183.40", "三公经费控制率": None,
        "绩效结果应用": "false", "工作表现加减分": "7"}),
    ("恰在扣完为止与档次边界", {
        "预算完成率": "75", "财政拨款收入预决算差异率": "11", "结转结余率": "5", "政府采购执行率": "0",
        "实际在用固定资产总额": "10925.15", "固定资产使用率": None, "实际支出公用经费总额": "498.21",
        "公用经费控制率": None, "三公经费实际支出数": "185.23", "三公经费控制率": None, "工作表现加减分": "5"}),
    ("恰在满分线与档次下沿", {
        "预算完成率": "75.01", "财政拨款收入预决算差异率": "5", "一般公共预算支出年度平均执行率": "99.99",
        "结转结余率": "5.01", "实际在用固定资产总额": "9712.35", "固定资产使用率": None,
        "实际支出公用经费总额": "479.04", "公用经费控制率": None, "三公经费实际支出数": "181.59",
        "三公经费控制率": None, "工作表现加减分": "-5"}),
)


def with_values(text: str, changes: Mapping[str, str | None]) -> str:
    """The fact file ``text`` with some facts' ``value:`` replaced by YAML text (``None``: the fact removed)."""
    lines = text.splitlines()
    for name, value in changes.items():
        start = lines.index(f"  {name}:")
        end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("   ")), len(lines))
        if value is None:
            del lines[start:end]
            continue
        at = next(i for i in range(start, end) if lines[i].startswith("    value:"))
        stop = next((i for i in range(at + 1, end) if not lines[i].startswith("      ")), end)
        lines[at:stop] = [f"    value: {value}"]
    return "\n".join(lines) + "\n"


def timed_inputs(count: int = 200) -> list[tuple[str, str]]:
    """(label, fact file text): the seed, then perturbed copies of it (bench/bench.py's variants)."""
    seed = SEED.read_text(encoding="utf-8")
    return [("seed", seed)] + [(f"variant-{i}", t) for i, t in enumerate(variants(count - 1))]


def check_inputs(timed: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """What every peer must score exactly as the engine does before it is timed."""
    seed = SEED.read_text(encoding="utf-8")
    return [*timed, ("variance-7pct", VARIANCE.read_text(encoding="utf-8")),
            *((name, with_values(seed, changes)) for name, changes in BRANCH_CASES)]


def parse(policy: engine.CompiledPolicy, inputs: Sequence[tuple[str, str]]) -> list[engine.Facts]:
    """The inputs as validated fact sets of ``policy``."""
    return [engine.facts_from_text(text, f"{label}.yaml", policy) for label, text in inputs]


DEDUCTIONS = "deductions"  # the key under which a tracing peer returns its deductions, canonically written


def scores_of(result: engine.Result) -> dict[str, str]:
    """Indicator id → score as a decimal string, and ``"total"``."""
    out = {n.id: str(n.score) for n in result.nodes()}
    out["total"] = str(result.total)
    return out


def deductions_text(rows: Sequence[tuple[str, str | None, Decimal]]) -> str:
    """(rule id, item, points) rows as one canonical text, in order: what two tracing peers must share.

    >>> deductions_text([("A1.1.r1", None, Decimal("0.068")), ("A6.2.r1", "apply", Decimal("2.000"))])
    'A1.1.r1:0.068; A6.2.r1/apply:2.000'
    """
    return "; ".join(f"{rule}{'/' + item if item else ''}:{points}" for rule, item, points in rows)


def traced_of(result: engine.Result) -> dict[str, str]:
    """:func:`scores_of` and, under :data:`DEDUCTIONS`, every deduction of the trace."""
    return {**scores_of(result), DEDUCTIONS: deductions_text([(d.rule_id, d.item, d.points)
                                                               for d in result.deductions()])}


def golden(policy: engine.CompiledPolicy, facts: Sequence[engine.Facts]) -> list[dict[str, str]]:
    """The engine's figures for each input, the same on both firing backends (else the run stops)."""
    durable, native = engine.DurableBackend(), engine.NativeBackend()
    out = []
    for f in facts:
        want = scores_of(engine.evaluate(policy, f, backend=durable))
        if scores_of(engine.evaluate(policy, f, backend=native)) != want:
            raise SystemExit(f"the engine's backends disagree on {f.file}: no golden figures")
        out.append(want)
    return out


def golden_deductions(policy: engine.CompiledPolicy, facts: Sequence[engine.Facts]) -> list[str]:
    """The engine's deductions for each input (:func:`deductions_text`), the same on both firing backends."""
    durable, native = engine.DurableBackend(), engine.NativeBackend()
    out = []
    for f in facts:
        want = traced_of(engine.evaluate(policy, f, backend=durable))[DEDUCTIONS]
        if traced_of(engine.evaluate(policy, f, backend=native))[DEDUCTIONS] != want:
            raise SystemExit(f"the engine's backends disagree on the deductions of {f.file}")
        out.append(want)
    return out


def with_deductions(want: Sequence[Mapping[str, str]], deductions: Sequence[str]) -> list[dict[str, str]]:
    """The golden scores of each input with its golden deductions under :data:`DEDUCTIONS`."""
    return [{**w, DEDUCTIONS: d} for w, d in zip(want, deductions, strict=True)]


def disagreements(label: str, want: Mapping[str, str], got: Mapping[str, object]) -> list[str]:
    """Where a peer's scores differ from the golden ones: exact decimal equality, strings or Decimals only.

    Golden deductions (:data:`DEDUCTIONS`) are compared, as text, with those of a peer that returns
    any; a scores-only peer returns none.
    """
    problems = []
    for key, expected in want.items():
        if key == DEDUCTIONS:
            if key in got and got[key] != expected:
                problems.append(f"{label}: deductions want [{expected}], got [{got[key]}]")
            continue
        value = got.get(key)
        if not isinstance(value, str | Decimal):
            problems.append(f"{label}: {key} want {expected}, got {value!r} (not an exact decimal)")
        elif Decimal(value) != Decimal(expected):
            problems.append(f"{label}: {key} want {expected}, got {value}")
    return problems


# -- the peers: each prepares its inputs, evaluates one, and reads the scores from what it returned ------
Setup = Callable[[engine.CompiledPolicy, Sequence[engine.Facts]],
                 tuple[list[Any], Callable[[Any], Any], Callable[[Any], Mapping[str, object]]]]


@dataclass(frozen=True)
class Peer:
    """One engine measured against jixiao: its name, a label for the report and how it prepares its inputs."""

    name: str
    label: str
    setup: Setup


def plain_values(facts: engine.Facts) -> dict[str, Any]:
    """The validated facts as a plain mapping: the same values jixiao scores, in no engine type."""
    out: dict[str, Any] = {}
    for name, fact in facts.values.items():
        value = fact.value
        out[name] = tuple((t.target, t.actual, t.direction) for t in value) if isinstance(value, tuple) else value
    return out


ZEN_FIELDS = {
    "预算完成率": "budget_completion_rate", "财政拨款收入预决算差异率": "appropriation_variance_rate",
    "一般公共预算支出年度平均执行率": "execution_rate", "结转结余率": "carryover_rate",
    "预算编制报送及时准确": "budget_submitted_on_time", "政府采购执行率": "procurement_rate",
    "预决算信息公开": "budget_disclosed", "绩效信息公开": "performance_disclosed", "资产账实相符": "assets_reconciled",
    "固定资产使用率": "fixed_asset_use_rate", "公用经费控制率": "public_expense_control_rate",
    "三公经费控制率": "three_public_control_rate", "绩效目标完成率": "target_completion_rate",
    "绩效运行监控及自评报送": "monitoring_reported", "绩效结果应用": "results_applied",
    "部门整体绩效目标": "targets", "工作表现加减分": "work_adjustment",
}


def _json(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")  # the decimal as written: Zen parses JSON numbers as exact decimals
    if isinstance(value, tuple):
        return "[" + ",".join(f'{{"target":{_json(t)},"actual":{_json(a)},"direction":"{d}"}}'
                              for t, a, d in value) + "]"
    raise TypeError(f"no JSON for {value!r}")


def zen_context(values: Mapping[str, Any]) -> str:
    """The facts the graph reads, as JSON text under the graph's field names (exact decimal literals)."""
    return "{" + ",".join(f'"{field}":{_json(values[name])}' for name, field in ZEN_FIELDS.items()) + "}"


def _jixiao(backend: str, detail: str, *, read: bool = False) -> Setup:
    def setup(policy: engine.CompiledPolicy, facts: Sequence[engine.Facts]) -> Any:
        chosen = engine.DurableBackend() if backend == "durable" else engine.NativeBackend()

        def run(f: engine.Facts) -> engine.Result:
            return engine.evaluate(policy, f, backend=chosen, detail=detail)  # type: ignore[arg-type]

        def run_read(f: engine.Facts) -> engine.Result:
            result = run(f)
            result.deductions()  # every scored indicator's explanation made
            return result
        return list(facts), run_read if read else run, traced_of if detail == "full" else scores_of
    return setup


def _plain(policy: engine.CompiledPolicy, facts: Sequence[engine.Facts]) -> Any:
    def read(out: Mapping[str, Decimal]) -> Mapping[str, object]:
        return out
    return [plain_values(f) for f in facts], plain_decimal.score, read


def _plain_traced(policy: engine.CompiledPolicy, facts: Sequence[engine.Facts]) -> Any:
    def read(out: tuple[Mapping[str, Decimal], Sequence[plain_decimal.Deduction]]) -> Mapping[str, object]:
        scores, deductions = out
        return {**scores, DEDUCTIONS: deductions_text([(d.rule_id, d.item, d.points) for d in deductions])}

    def values(f: engine.Facts) -> dict[str, Any]:
        targets = f.values["部门整体绩效目标"].value
        assert isinstance(targets, tuple)
        return {**plain_values(f), plain_decimal.TARGET_NAMES: tuple(t.name for t in targets)}
    return [values(f) for f in facts], plain_decimal.score_traced, read


def _zen(trace: bool) -> Setup:
    def setup(policy: engine.CompiledPolicy, facts: Sequence[engine.Facts]) -> Any:
        try:
            import zen
        except ImportError:
            raise SystemExit("zen-engine is not installed: .venv/bin/pip install -e '.[bench]'") from None
        decision = zen.ZenEngine().create_decision(ZEN_GRAPH.read_text(encoding="utf-8"))  # compiled once
        options: zen.DecisionEvaluateOptions = {"trace": True}

        def read(response: Mapping[str, Any]) -> Mapping[str, object]:
            if trace and not response.get("trace"):
                raise SystemExit("Zen returned no trace with trace on")
            return {key.replace("_", "."): value for key, value in response["result"]["score"].items()}

        run = (lambda ctx: decision.evaluate(ctx, options)) if trace else decision.evaluate
        return [zen_context(plain_values(f)) for f in facts], run, read
    return setup


_floors = itertools.count()


def _floor(policy: engine.CompiledPolicy, facts: Sequence[engine.Facts]) -> Any:
    from bench.durable_floor import Floor  # imports durable_rules only for this peer

    def read(out: Mapping[str, Decimal]) -> Mapping[str, object]:
        return out
    floor = Floor(f"gz_floor_{os.getpid()}_{next(_floors)}")  # ruleset names are unique per process
    return [plain_values(f) for f in facts], floor.score, read


PEERS: dict[str, Peer] = {p.name: p for p in (
    Peer("jixiao_durable_full", "jixiao: durable_rules, full trace", _jixiao("durable", "full")),
    Peer("jixiao_durable_read", "jixiao: durable_rules, full trace, all read", _jixiao("durable", "full", read=True)),
    Peer("jixiao_durable_scores", "jixiao: durable_rules, scores only", _jixiao("durable", "scores")),
    Peer("jixiao_native_full", "jixiao: NativeBackend, full trace", _jixiao("native", "full")),
    Peer("plain_decimal_trace", "hand-written Decimal + deductions, no engine", _plain_traced),
    Peer("plain_decimal", "hand-written Decimal, scores only, no engine", _plain),
    Peer("zen_trace", "GoRules Zen, trace on", _zen(True)),
    Peer("zen", "GoRules Zen, trace off", _zen(False)),
    Peer("durable_floor", "bare durable_rules ruleset + Decimal", _floor),
)}

# (numerator, denominator, target, what it says); the targets are issue 16 §2's
RATIOS: tuple[tuple[str, str, float | None, str], ...] = (
    ("jixiao_durable_full", "zen_trace", 1.0, "durable full trace ÷ Zen with trace"),
    ("jixiao_durable_read", "zen_trace", None, "durable full trace, every explanation read ÷ Zen with trace"),
    ("jixiao_native_full", "plain_decimal_trace", 0.5, "native full trace ÷ plain Decimal with deductions"),
    ("jixiao_native_full", "plain_decimal", None, "native full trace ÷ plain Decimal, scores only"),
    ("plain_decimal_trace", "plain_decimal", None, "plain Decimal with deductions ÷ scores only"),
    ("jixiao_durable_scores", "zen_trace", 1.5, "durable scores only ÷ Zen with trace"),
    ("jixiao_durable_full", "durable_floor", None, "durable full trace ÷ bare durable_rules floor"),
    ("jixiao_durable_full", "zen", None, "durable full trace ÷ Zen without trace"),
    ("zen_trace", "zen", None, "Zen with trace ÷ Zen without trace"),
)
LATENCY_TARGET_MS = 1.0
RSS_TARGET_MB = 5.0


def verify(peer: Peer, policy: engine.CompiledPolicy, inputs: Sequence[tuple[str, str]],
           want: Sequence[Mapping[str, str]] | None = None) -> list[str]:
    """Run ``peer`` once on each input in this process; every disagreement with the engine (empty: none)."""
    facts = parse(policy, inputs)
    want = want if want is not None else with_deductions(golden(policy, facts), golden_deductions(policy, facts))
    prepared, run, read = peer.setup(policy, facts)
    problems: list[str] = []
    for (label, _), arg, expected in zip(inputs, prepared, want, strict=True):
        problems += disagreements(f"{peer.name} on {label}", expected, read(run(arg)))
    return problems


# -- one peer's process ------------------------------------------------------------------------------
def pin(core: int) -> None:
    """Pin every thread of this process to ``core`` (threads started later inherit it)."""
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            os.sched_setaffinity(int(task.name), {core})
    if os.sched_getaffinity(0) != {core}:
        raise SystemExit(f"could not pin to core {core}")


def threads_off_core(core: int) -> int:
    """How many of this process's threads may run elsewhere than ``core``."""
    off = 0
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(ProcessLookupError):
            off += os.sched_getaffinity(int(task.name)) != {core}
    return off


def measure(run: Callable[[Any], Any], inputs: Sequence[Any], seconds: float) -> tuple[float, float]:
    """(evaluations per CPU second, per wall-clock second) of whole passes over ``inputs`` for ``seconds``."""
    gc.collect()
    count = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while True:
        for x in inputs:
            run(x)
        count += len(inputs)
        cpu = time.process_time() - cpu0
        if cpu >= seconds:
            return count / cpu, count / (time.perf_counter() - wall0)


def latency(run: Callable[[Any], Any], inputs: Sequence[Any], count: int) -> dict[str, float]:
    """p50/p99 in ms of one evaluation: wall clock, and CPU time of this thread."""
    gc.collect()
    wall, cpu = [], []
    for i in range(count):
        x = inputs[i % len(inputs)]
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        run(x)
        cpu.append(time.thread_time_ns() - start_cpu)
        wall.append(time.perf_counter_ns() - start)
    w, c = statistics.quantiles(wall, n=100), statistics.quantiles(cpu, n=100)
    return {"p50": w[49] / 1e6, "p99": w[98] / 1e6, "cpu_p50": c[49] / 1e6, "cpu_p99": c[98] / 1e6}


def rss_kb() -> int:
    """This process's resident set size in KB (VmRSS)."""
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1])


def rss_growth(run: Callable[[Any], Any], inputs: Sequence[Any], count: int) -> tuple[float, float]:
    """(RSS before, growth) in MB over ``count`` evaluations, after one warm-up pass over ``inputs``."""
    for x in inputs:
        run(x)
    gc.collect()
    before = rss_kb()
    for i in range(count):
        run(inputs[i % len(inputs)])
    gc.collect()
    return before / 1024, (rss_kb() - before) / 1024


def serve(conn: Connection, name: str, core: int, timed: int, inputs: Sequence[tuple[str, str]]) -> None:
    """A peer's process: pin, prepare, answer the check, then measure on request until told to stop."""
    try:
        pin(core)
        policy = engine.load_policy(POLICY)
        prepared, run, read = PEERS[name].setup(policy, parse(policy, inputs))
        scores = [{k: str(v) if isinstance(v, Decimal) else v for k, v in read(run(x)).items()} for x in prepared]
        pin(core)  # any thread the peer's library started meanwhile
        work = prepared[:timed]
        for x in work:  # warm-up pass
            run(x)
        conn.send(("ready", scores, threads_off_core(core)))
        while True:
            command, arg = conn.recv()
            if command == "measure":
                conn.send(("rate", measure(run, work, arg)))
            elif command == "latency":
                conn.send(("latency", latency(run, work, arg)))
            elif command == "rss":
                conn.send(("rss", rss_growth(run, work, arg)))
            else:
                break
    except SystemExit as err:  # a peer that cannot run says why
        conn.send(("error", str(err)))
    except BaseException:  # everything else goes back to the parent too, which stops the run
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


# -- the run -----------------------------------------------------------------------------------------
def lib_version(name: str) -> str:
    """The installed version of distribution ``name``, or "not installed"."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def machine() -> str:
    """The machine the figures come from: cores, CPU model, system, Python and library versions."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    return (f"{os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), {cpu}; Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}; jixiao {lib_version('jixiao')}, "
            f"durable_rules {lib_version('durable_rules')}, zen-engine {lib_version('zen-engine')}")


def load() -> str:
    """The load averages over 1, 5 and 15 minutes."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class Runner:
    """The peers' processes, started one at a time on ``core``, and the rounds of measurement."""

    def __init__(self, names: Sequence[str], core: int, inputs: Sequence[tuple[str, str]], timed: int) -> None:
        self.names, self.core, self.inputs, self.timed = list(names), core, inputs, timed
        self.context = multiprocessing.get_context("spawn")  # a fresh interpreter for each peer
        self.conns: dict[str, Connection] = {}
        self.procs: list[multiprocessing.process.BaseProcess] = []

    def start(self, name: str) -> tuple[list[dict[str, Any]], int]:
        """Start peer ``name``; return its scores on the check inputs and how many of its threads are off the core."""
        mine, theirs = self.context.Pipe()
        proc = self.context.Process(target=serve, args=(theirs, name, self.core, self.timed, self.inputs),
                                    name=f"peer-{name}", daemon=True)
        proc.start()
        theirs.close()
        self.conns[name] = mine
        self.procs.append(proc)
        _, scores, off = self.ask(name, None)
        return scores, off

    def ask(self, name: str, command: tuple[str, Any] | None) -> tuple[Any, ...]:
        """Send ``command`` (if any) to peer ``name`` and return its answer; a failure ends the run."""
        conn = self.conns[name]
        if command is not None:
            conn.send(command)
        try:
            answer = conn.recv()
        except EOFError:
            raise SystemExit(f"peer {name} died without a word") from None
        if answer[0] == "error":
            raise SystemExit(f"peer {name} failed:\n{answer[1]}")
        return answer  # type: ignore[no-any-return]

    def stop(self) -> None:
        """Stop every peer, killing any that does not exit within 10 s."""
        for conn in self.conns.values():
            with contextlib.suppress(OSError, BrokenPipeError):
                conn.send(("stop", None))
        for proc in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()


def default_core() -> int:
    """The highest-numbered core this process may run on."""
    return max(os.sched_getaffinity(0))


def spread(values: Sequence[float], fmt: str = "{:,.0f}") -> str:
    """Min / median / max of ``values``, formatted with ``fmt``."""
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def main(argv: Sequence[str] | None = None) -> int:
    """Check every peer against the engine, then time them one at a time and print the figures."""
    args = arguments(argv)
    rounds = args.rounds or (3 if args.quick else 7)
    seconds = args.seconds or (0.5 if args.quick else 2.0)
    samples = 2_000 if args.quick else 10_000
    leak = 10_000 if args.quick else 100_000
    names = args.names

    print(f"machine: {machine()}", flush=True)
    print(f"load average at start: {load()}", flush=True)
    policy = engine.load_policy(POLICY)
    timed = timed_inputs()
    inputs = check_inputs(timed)
    parsed = parse(policy, inputs)
    want = with_deductions(golden(policy, parsed), golden_deductions(policy, parsed))
    if want[0]["total"] != SEED_TOTAL:
        raise SystemExit(f"the engine scores the seed {want[0]['total']}, not {SEED_TOTAL}: nothing to compare with")
    print(f"inputs: {len(timed)} fact sets timed (the seed + {len(timed) - 1} perturbed copies); every peer is "
          f"checked first on {len(inputs)} (those + the 7% variance file + {len(BRANCH_CASES)} branch cases), "
          f"total and all {len(want[0]) - 2} indicator scores against the engine's (and the deductions, "
          f"for the peers that build them)", flush=True)

    runner = Runner(names, args.core, inputs, len(timed))
    try:
        for name in names:
            check_peer(runner, name, inputs, want, args.core)
        print(f"timing: each peer in its own process pinned to core {args.core}, one at a time; {rounds} rounds "
              f"of {seconds:g} CPU s per peer, order rotated each round", flush=True)
        cpu: dict[str, list[float]] = {n: [] for n in names}
        wall: dict[str, list[float]] = {n: [] for n in names}
        for r in range(rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                rate_cpu, rate_wall = runner.ask(name, ("measure", seconds))[1]
                cpu[name].append(rate_cpu)
                wall[name].append(rate_wall)
        lat = runner.ask("jixiao_durable_full", ("latency", samples))[1] if "jixiao_durable_full" in names else None
        rss = runner.ask("jixiao_durable_full", ("rss", leak))[1] if "jixiao_durable_full" in names else None
    finally:
        runner.stop()

    print(f"load average at end: {load()}")
    report(names, rounds, cpu, wall)
    if lat is not None:
        met = "met" if lat["p99"] <= LATENCY_TARGET_MS else "not met"
        print(f"latency of one evaluation, jixiao_durable_full, ms ({samples:,} samples): p50 {lat['p50']:.3f}, "
              f"p99 {lat['p99']:.3f} wall clock; p50 {lat['cpu_p50']:.3f}, p99 {lat['cpu_p99']:.3f} thread CPU time  "
              f"(target p99 ≤ {LATENCY_TARGET_MS:g}: {met})")
    if rss is not None:
        met = "met" if rss[1] <= RSS_TARGET_MB else "not met"
        target = f"target ≤ {RSS_TARGET_MB:g} MB over 100,000: {met}" if leak == 100_000 else "target over 100,000"
        print(f"memory, jixiao_durable_full: RSS {rss[0]:.1f} MB after warm-up, growth {rss[1]:+.2f} MB over "
              f"{leak:,} more evaluations  ({target})")
    ratios(rounds, cpu)
    return 0


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line, checked: ``names`` holds the peers to run."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="3 rounds of 0.5 s, 2,000 latency samples, RSS over 10,000 evaluations")
    parser.add_argument("--rounds", type=int, help="rounds of measurement (default 7; 3 with --quick)")
    parser.add_argument("--seconds", type=float, help="CPU seconds per peer per round (default 2; 0.5 with --quick)")
    parser.add_argument("--core", type=int, default=default_core(), help="the core every peer is pinned to")
    parser.add_argument("--peers", default=",".join(PEERS), help="comma-separated subset of: " + ", ".join(PEERS))
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.peers.split(",") if n.strip()]
    unknown = [n for n in names if n not in PEERS]
    if unknown or not names:
        parser.error(f"unknown peer(s) {', '.join(unknown) or '(none)'}; known: {', '.join(PEERS)}")
    if any(n.startswith("zen") for n in names) and importlib.util.find_spec("zen") is None:
        parser.error("the Zen peers need zen-engine: .venv/bin/pip install -e '.[bench]' (or leave them out: --peers)")
    if args.core not in os.sched_getaffinity(0):
        parser.error(f"core {args.core} is not one this process may use: {sorted(os.sched_getaffinity(0))}")
    args.names = names
    return args


def check_peer(runner: Runner, name: str, inputs: Sequence[tuple[str, str]], want: Sequence[Mapping[str, str]],
               core: int) -> None:
    """Start peer ``name`` and stop the run unless it agrees with the engine on every input, on ``core``."""
    scores, off = runner.start(name)
    problems = [p for (label, _), w, got in zip(inputs, want, scores, strict=True)
                for p in disagreements(f"{name} on {label}", w, got)]
    if problems:
        shown = "\n  ".join(problems[:10])
        raise SystemExit(f"peer {name} disagrees with the engine on {len(problems)} figure(s); "
                         f"nothing is timed:\n  {shown}")
    if off:
        raise SystemExit(f"peer {name}: {off} thread(s) not on core {core}")
    print(f"checked: {name} agrees on every input ({PEERS[name].label})", flush=True)


def report(names: Sequence[str], rounds: int, cpu: Mapping[str, list[float]], wall: Mapping[str, list[float]]) -> None:
    """Print each peer's evaluations per CPU second and its share of wall time on the CPU."""
    print(f"evaluations/s per CPU second, min / median / max over {rounds} rounds (on CPU: share of wall time):")
    width = max(len(n) for n in names)
    for name in names:
        share = statistics.median(w / c for w, c in zip(wall[name], cpu[name], strict=True))
        print(f"  {name:<{width}}  {spread(cpu[name]):>26}  on CPU {share:4.0%}  {PEERS[name].label}")


def ratios(rounds: int, cpu: Mapping[str, list[float]]) -> None:
    """Print the ratios of RATIOS whose two peers ran, each against its target."""
    shown = [r for r in RATIOS if r[0] in cpu and r[1] in cpu]
    if shown:
        print(f"ratios jixiao ÷ peer, median of the {rounds} per-round ratios (min–max):")
    for top, bottom, target, what in shown:
        per_round = [t / b for t, b in zip(cpu[top], cpu[bottom], strict=True)]
        ratio = statistics.median(per_round)
        verdict = "(no target)" if target is None else \
            f"target ≥ {target:g}: {'met' if ratio >= target else 'not met'}"
        print(f"  {what:<48} {ratio:5.2f} ({min(per_round):.2f}–{max(per_round):.2f})  {verdict}")


if __name__ == "__main__":
    sys.exit(main())
