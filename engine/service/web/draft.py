"""The facts a workbench page works on, carried by the page itself between requests (edge).

A reviewer uploads or pastes a fact file once; the result page keeps it in hidden fields (the text of
a YAML/JSON file, or an .xlsx workbook as base64) with its name and the policy version, and every
later request (a trace, a what-if, a comparison) sends them back. The server keeps no draft: any
worker process can answer any request, nothing expires, and the facts are parsed again each time with
the positions of the reviewer's own file (``gz.yaml:13``, ``gz.xlsx!事实!C7``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import PurePath

from starlette.datastructures import FormData, UploadFile

from engine.excel.reader import is_workbook, read_workbook
from engine.service.config import ServiceConfig
from engine.service.errors import ApiError
from engine.service.registry import Entry, Registry
from engine.service.requests import check_fact_count, find_entry
from engine.service.state import ServiceState
from engine.source import SourceDoc, decode, parse_document
from engine.views.review import Review, review_document

__all__ = ["FROM_FILE", "PASTED_JSON", "PASTED_YAML", "Draft", "draft_from_form", "draft_from_upload", "policy_choice",
           "review_of"]

PASTED_YAML = "粘贴的事实.yaml"
PASTED_JSON = "粘贴的事实.json"
MAX_NAME = 200
FROM_FILE = "按事实文件写明的指标体系（policy、policy_version）"  # the menu's first choice: no policy chosen


@dataclass(frozen=True, slots=True)
class Draft:
    """A policy version and a fact file as the page carries it: the file's bytes (text as UTF-8) and its name."""

    policy_id: str
    version: str
    facts_name: str
    data: bytes
    force: bool = False  # score although the file names another policy, version or year (``--force``)

    def fields(self) -> dict[str, str]:
        """The hidden form fields that carry this draft.

        The bytes travel as base64: a browser may turn the line breaks of a form value into CR LF,
        and the file must come back exactly as it was uploaded.
        """
        return {"policy": self.policy_id, "version": self.version, "facts_name": self.facts_name,
                "facts_b64": base64.b64encode(self.data).decode("ascii"), "force": "1" if self.force else ""}

    def document(self, config: ServiceConfig) -> SourceDoc:
        """The fact document, parsed with positions in the reviewer's file, within the fact-count limit.

        Raises:
            JixiaoError: the file cannot be read (located); ApiError: too many facts.
        """
        if is_workbook(self.facts_name):
            doc = read_workbook(self.data, self.facts_name)
        else:
            doc = parse_document(decode(self.data, self.facts_name), self.facts_name)
        check_fact_count(config, doc)
        return doc

    def entry(self, registry: Registry, doc: SourceDoc | None = None) -> Entry:
        """The policy version chosen, or (none chosen) the one ``doc`` names in ``policy`` and ``policy_version``.

        Raises:
            ApiError: 404 ``policy.not_found`` when it is not loaded; 400 ``request.policy`` when nothing was
                chosen and the file names no policy.
        """
        if self.policy_id or doc is None:
            return find_entry(registry, self.policy_id, self.version or None)
        named = doc.value.get("policy") if isinstance(doc.value, dict) else None
        if not isinstance(named, str) or not named.strip():
            raise ApiError(400, "request.policy",
                           f"事实文件 {self.facts_name} 没有写明指标体系（policy）：请在“指标体系”中选择")
        version = doc.value.get("policy_version") if isinstance(doc.value, dict) else None
        return find_entry(registry, named.strip(), str(version).strip() if version is not None else None)


def policy_choice(value: str) -> tuple[str, str]:
    """``id@version`` from the policy menu (ids and versions cannot hold ``@``).

    >>> policy_choice("gz-dept-2021@1.0.0-r1"), policy_choice("gz-dept-2021")
    (('gz-dept-2021', '1.0.0-r1'), ('gz-dept-2021', ''))
    """
    policy_id, _, version = value.partition("@")
    return policy_id.strip(), version.strip()


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value if isinstance(value, str) else ""


def _name(raw: str, default: str) -> str:
    """A file name for locations: the last part of what the browser sent, without control characters."""
    name = PurePath(raw.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable())[:MAX_NAME]
    return name or default


async def draft_from_upload(form: FormData) -> Draft:
    """The draft of the scoring form: an uploaded file if one was chosen, else the pasted text.

    Raises:
        ApiError: no facts given (400 ``request.facts``).
    """
    policy_id, version = policy_choice(_text(form, "policy"))  # empty: the policy the file names (FROM_FILE)
    force = bool(_text(form, "force"))
    upload = form.get("facts_file")
    if isinstance(upload, UploadFile) and upload.filename:
        return Draft(policy_id, version, _name(upload.filename, "facts.yaml"), await upload.read(), force)
    text = _text(form, "facts_text")
    if not text.strip():
        raise ApiError(400, "request.facts",
                       "请选择事实文件（YAML、JSON 或 Excel .xlsx），或把事实文件的内容粘贴到文本框")
    name = PASTED_JSON if text.lstrip().startswith("{") else PASTED_YAML
    return Draft(policy_id, version, name, text.encode("utf-8"), force)


def draft_from_form(form: FormData) -> Draft:
    """The draft a result page sends back with every request.

    Raises:
        ApiError: the hidden fields are missing or damaged (400 ``request.facts``).
    """
    policy_id, version = _text(form, "policy").strip(), _text(form, "version").strip()
    encoded = _text(form, "facts_b64")
    if not policy_id or not encoded:
        raise ApiError(400, "request.facts", "页面缺少指标体系或事实：请回到首页重新上传事实文件")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "request.facts", "页面携带的事实已损坏：请回到首页重新上传事实文件") from None
    return Draft(policy_id, version, _name(_text(form, "facts_name"), PASTED_YAML), data, bool(_text(form, "force")))


def review_of(state: ServiceState, form: FormData) -> Review:
    """The review (复核) of the claimed scores in the facts a page carries, as ``jixiao review`` makes it."""
    draft = draft_from_form(form)
    entry, doc = draft.entry(state.registry), draft.document(state.config)
    return review_document(entry.policy, doc, force=draft.force, backend=state.config.backend)
