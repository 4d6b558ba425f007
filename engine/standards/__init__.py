"""The bundled standards (标准指标体系): policies shipped inside the package, each with a sample fact file.

The YAML files beside this module are package data (``pyproject.toml``), so ``jixiao init --standard NAME``
works from an installed package, not only from a checkout. In the repository they are symbolic links to the
``policies/`` and ``facts/`` files of the same names (one copy to edit); a built wheel holds the files
themselves. ``tests/unit/test_standards.py`` checks both.
This module only names them: reading a file is the command line's job (``engine.commands.init``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

__all__ = ["STANDARDS", "Standard", "standard_named", "suggest_standard"]


@dataclass(frozen=True, slots=True)
class Standard:
    """One bundled standard: its name, its policy file, its sample fact file and a Chinese description."""

    name: str  # the policy's id, as `jixiao init --standard NAME` takes it
    policy: str  # file name in this package (and in the repository's policies/)
    facts: str  # file name under facts/ here (and in the repository's facts/)
    title: str

    @property
    def facts_path(self) -> str:
        """The sample fact file, relative to this package."""
        return f"facts/{self.facts}"


STANDARDS: tuple[Standard, ...] = (
    Standard("gz-dept-2021", "gz-dept-2021.yaml", "gz-kjj-2021.yaml",
             "广州市本级部门整体支出绩效自评（2021，重构R1；示例：广州市科学技术局 94.622）"),
    Standard("mof-project-2020", "mof-project-2020.yaml", "ah-tianchang-shuili-proj-2022.yaml",
             "财预〔2020〕10号 项目支出绩效自评表模板（示例：天长市水利局 100）"),
    Standard("hunan-dept", "hunan-dept.yaml", "hn-yueyang-dept.yaml",
             "湖南（岳阳式）部门整体支出绩效评价，53号文 投入/过程/产出/效果（示例事实）"),
    Standard("cq-dept-2021", "cq-dept-2021.yaml", "cq-example-dept-2021.yaml",
             "重庆部门整体绩效自评（2021），执行率 × 10 + 得分系数 × 指标权重，标明核心指标（示例事实）"),
)


def standard_named(name: str) -> Standard | None:
    """The bundled standard called ``name``, or None.

    >>> standard_named("hunan-dept").policy
    'hunan-dept.yaml'
    >>> standard_named("hunan") is None
    True
    """
    return next((s for s in STANDARDS if s.name == name), None)


def suggest_standard(name: str) -> list[str]:
    """Names of bundled standards close to ``name`` (for the did-you-mean of an unknown name).

    >>> suggest_standard("hunan-dep")
    ['hunan-dept']
    """
    return difflib.get_close_matches(name, [s.name for s in STANDARDS], n=3, cutoff=0.5)
