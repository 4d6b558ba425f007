"""Run the policy-derived strategies against the invariants (stage: test).

:func:`fuzz` draws fact files with :func:`engine.authoring.strategies.fact_documents`, validates them like a
fact file (``facts.validate_against``), checks :func:`engine.authoring.invariants.check_invariants`, and on a
failure returns the example hypothesis shrank to, with :func:`counterexample_case` rendering it as a golden
case file. A generated document that validation or evaluation refuses is a counted rejection, with its
reason, never a crash.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Unsatisfiable

from engine.authoring.invariants import Violation, check_invariants
from engine.authoring.strategies import fact_documents
from engine.compile import CompiledPolicy
from engine.errors import JixiaoError
from engine.evaluate import evaluate
from engine.facts import Facts, validate_against
from engine.json_values import DocMapping
from engine.source import SourceDoc

__all__ = ["FuzzReport", "Outcome", "check_document", "counterexample_case", "draw", "fuzz", "report_from"]


@dataclass
class FuzzReport:
    """How many examples ran, how many were rejected and why, and the shrunk counterexample, if any."""

    examples: int = 0
    valid: int = 0
    document: DocMapping | None = None
    violations: list[Violation] = field(default_factory=list)
    rejected: Counter[str] = field(default_factory=Counter)
    reasons: dict[str, str] = field(default_factory=dict)  # error code → the first message seen

    def reject(self, err: JixiaoError) -> None:
        """Count a generated document that the engine refused (validation or evaluation), by error code."""
        self.count_rejection(str(err.code), err.problem.message)

    def count_rejection(self, code: str, message: str) -> None:
        """Count one refusal with this error code; the first message seen for a code is the one shown."""
        self.rejected[code] += 1
        self.reasons.setdefault(code, message)

    def summary(self) -> str:
        """``有效 N 个，拒绝 M 个：原因…`` in Chinese.

        >>> from engine.errors import ErrorCode
        >>> report = FuzzReport(examples=3, valid=2)
        >>> report.reject(JixiaoError(ErrorCode.FACTS_RANGE, "超出允许范围"))
        >>> report.summary()
        '有效 2 个，拒绝 1 个：facts.range 1 个（例：超出允许范围）'
        """
        total = sum(self.rejected.values())
        if not total:
            return f"有效 {self.valid} 个，拒绝 0 个"
        reasons = "；".join(f"{code} {count} 个（例：{self.reasons[code]}）"
                           for code, count in sorted(self.rejected.items(), key=lambda item: (-item[1], item[0])))
        return f"有效 {self.valid} 个，拒绝 {total} 个：{reasons}"


def generated_facts(policy: CompiledPolicy, document: DocMapping) -> Facts:
    """Validate a generated document exactly as a fact file is validated."""
    return validate_against(policy, SourceDoc("generated.yaml", document))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What checking one generated document found: refused (with the code and message), valid, or failing.

    ``fails`` covers a broken invariant and any other exception: :func:`fuzz` is what shrinks and reports it.
    """

    code: str | None = None
    message: str = ""
    fails: bool = False


def check_document(policy: CompiledPolicy, document: DocMapping) -> Outcome:
    """Check one generated document as :func:`fuzz` does, without hypothesis (what a remote worker runs)."""
    try:
        facts = generated_facts(policy, document)
        evaluate(policy, facts)
    except JixiaoError as err:
        return Outcome(str(err.code), err.problem.message)
    except Exception:  # any other error: the local replay reports it as fuzz does
        return Outcome(fails=True)
    try:
        return Outcome(fails=bool(check_invariants(facts.policy or policy, facts)))
    except Exception:  # an invariant that raises fails too, as in fuzz
        return Outcome(fails=True)


def report_from(outcomes: Iterable[Outcome]) -> FuzzReport | None:
    """The report :func:`fuzz` gives when every document passes, from their outcomes in draw order.

    None when one fails: then only :func:`fuzz` itself gives the same report, shrinking included.
    """
    report = FuzzReport()
    for outcome in outcomes:
        if outcome.fails:
            return None
        report.examples += 1
        if outcome.code is not None:
            report.count_rejection(outcome.code, outcome.message)
        else:
            report.valid += 1
    return report


def draw(policy: CompiledPolicy, examples: int, seed: int | None, body: Callable[[DocMapping], None]) -> None:
    """Feed ``body`` the documents hypothesis draws for this policy, with the settings :func:`fuzz` uses.

    The draws do not depend on what ``body`` does while it returns normally (nothing here calls
    ``assume`` or ``target``), so a body that only collects sees the same documents, in the same
    order, as :func:`fuzz` checks up to its first failure.
    """

    @settings(max_examples=examples, deadline=None, database=None, derandomize=seed is None,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(fact_documents(policy))
    def run(document: DocMapping) -> None:
        body(document)

    if seed is not None:
        run = hypothesis_seed(seed)(run)
    # the counterexample is kept by ``body``; no valid draw at all (a degenerate range) leaves valid == 0
    with contextlib.suppress(AssertionError, Unsatisfiable):
        run()


def fuzz(policy: CompiledPolicy, examples: int, seed: int | None = None) -> FuzzReport:
    """Check every invariant on ``examples`` generated fact files (reproducible with ``seed``)."""
    report = FuzzReport()

    def check(document: DocMapping) -> None:
        report.examples += 1
        try:
            facts = generated_facts(policy, document)
            evaluate(policy, facts)
        except JixiaoError as err:  # a document the engine refuses is counted, never a crash
            report.reject(err)
            return
        report.valid += 1
        violations = check_invariants(facts.policy or policy, facts)  # a template's project: its own policy
        if violations:
            report.document, report.violations = document, violations
            raise AssertionError(violations[0].message)

    draw(policy, examples, seed, check)
    return report


class _Dumper(yaml.SafeDumper):
    pass


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    tag = "int" if value == value.to_integral_value() and "." not in format(value, "f") else "float"
    return dumper.represent_scalar(f"tag:yaml.org,2002:{tag}", format(value, "f"))


_Dumper.add_representer(Decimal, _decimal)


def counterexample_case(policy: CompiledPolicy, policy_path: str, report: FuzzReport) -> str:
    """The shrunk counterexample as a golden case file, with today's (wrong) result to correct."""
    assert report.document is not None
    result = evaluate(policy, generated_facts(policy, report.document))
    scores = {n.id: n.score for n in result.nodes()}
    broken = (f"#   {v.invariant}：{v.message}" for v in report.violations)
    header = ["# jixiao fuzz 找到的反例：以下不变式不成立", *broken,
              "# want_scores 是现在的（错误）结果：请改成正确的期望值后保存为用例文件；",
              "# policy 路径相对于运行 jixiao 的目录，保存到别处时请相应修改。", ""]
    body = {"policy": policy_path, "cases": [{
        "name": f"fuzz 反例：{report.violations[0].invariant}",
        "facts": report.document,
        "want_total": result.total,
        "want_scores": scores,
    }]}
    return "\n".join(header) + yaml.dump(body, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
