"""Macros in the inbox: the slot above the reply box (insert a macro's text for this
customer, or send it with its actions) and the page where agents keep their macros and
supervisors the shared ones. The coach's findings are shown when a macro is saved."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from balie.agents.roles import at_least
from balie.conversations import actions as conversation_actions
from balie.errors import BalieError, CoachBlocked, InvalidInput
from balie.ids import IdPath
from balie.macros import actions, queries, rules
from balie.macros import render as placeholders
from balie.policy import mandate
from balie.store.tables import Macro
from balie.web import coach
from balie.web.pages import PageRoute, SignedIn, checked_form, field, redirect, render

router = APIRouter(route_class=PageRoute)
FORM_FIELDS = (
    "name",
    "language",
    "body",
    "tags",
    "status",
    "goodwill_kind",
    "goodwill_amount",
    "goodwill_reason",
    "shared",
)


@router.get("/conversations/{conversation_id}/macros")
async def panel(request: Request, conversation_id: IdPath, caller: SignedIn) -> Response:
    """The agent's macros (and the shared ones) in the conversation's language."""
    async with caller.reading() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        language = conversation.language if conversation.language in rules.LANGUAGES else None
        macros = await queries.usable(act.session, act.actor, language=language)
    if not macros:
        return Response(status_code=204)
    return render(
        request,
        "_macros_slot.html",
        conversation=conversation,
        macros=macros,
        client_id=secrets.token_urlsafe(16),
    )


@router.get("/conversations/{conversation_id}/macros/{macro_id}/draft")
async def draft(
    request: Request, conversation_id: IdPath, macro_id: IdPath, caller: SignedIn
) -> Response:
    """The macro's text for this customer, swapped into the reply box (out of band) with a
    line in the slot saying so; when data is missing, only the line, naming what."""
    try:
        async with caller.reading() as act:
            conversation = await conversation_actions.get_visible(act, conversation_id)
            macro = await actions.get_usable(act, macro_id)
            text = await actions.render_for(act, conversation, macro)
    except InvalidInput as error:
        return render(request, "_macros_slot_result.html", error=error, text=None, macro=None)
    return render(
        request,
        "_macros_slot_result.html",
        conversation=conversation,
        macro=macro,
        text=text,
        error=None,
    )


@router.post("/conversations/{conversation_id}/macros/{macro_id}/send")
async def send(
    request: Request, conversation_id: IdPath, macro_id: IdPath, caller: SignedIn
) -> Response:
    """Send the macro and carry out its actions, all or nothing; a refusal is shown with
    its reason (PageRoute), and nothing was stored."""
    # The form's one-time token: a double click or a resent form sends once.
    client_id = field(await checked_form(request), "client_id") or None
    async with caller.writing() as act:
        conversation = await conversation_actions.get_visible(act, conversation_id)
        macro = await actions.get_usable(act, macro_id)
        await actions.apply(act, conversation, macro, send=True, client_id=client_id)
    return redirect(f"/conversations/{conversation_id}")


# --- The macros page --------------------------------------------------------------------


def _euros(text: str) -> int:
    """Euros as typed, in cents: the goodwill form's reader (``mandate.parse_euros``)."""
    try:
        return mandate.parse_euros(text)
    except mandate.BadAmount as bad:
        raise InvalidInput(str(bad), field="actions") from None


def _actions_from(form: FormData) -> list[dict[str, Any]]:
    """The form's simple fields as a macro's actions: tags, one status, one goodwill."""
    out: list[dict[str, Any]] = []
    for tag in field(form, "tags").replace(",", " ").split():
        out.append({"type": "tag", "tag": tag})
    status = field(form, "status")
    if status:
        out.append({"type": "status", "status": status})
    kind = field(form, "goodwill_kind")
    if kind:
        out.append(
            {
                "type": "goodwill",
                "kind": kind,
                "amount_cents": _euros(field(form, "goodwill_amount") or "0"),
                "reason": field(form, "goodwill_reason"),
            }
        )
    return out


def _form_values(macro: Macro | None, form: FormData | None = None) -> dict[str, str]:
    """What the form shows: the posted values after a refusal, else the macro's."""
    if form is not None:
        return {n: field(form, n) for n in FORM_FIELDS}
    values = dict.fromkeys(FORM_FIELDS, "") | {"language": "nl"}
    if macro is None:
        return values
    values |= {"name": macro.name, "language": macro.language, "body": macro.body}
    values["shared"] = "1" if macro.owner_id is None else ""
    values["tags"] = " ".join(a["tag"] for a in macro.actions if a["type"] == "tag")
    for a in macro.actions:
        if a["type"] == "status":
            values["status"] = a["status"]
        elif a["type"] == "goodwill":
            values["goodwill_kind"] = a["kind"]
            values["goodwill_amount"] = f"{a['amount_cents'] / 100:.2f}".replace(".", ",")
            values["goodwill_reason"] = a["reason"]
    return values


async def _page(
    request: Request,
    caller: Any,
    *,
    editing: Macro | None = None,
    values: dict[str, str] | None = None,
    error: BalieError | None = None,
    findings: dict[str, Any] | None = None,
    status: int | None = None,
) -> Response:
    async with caller.reading() as act:
        macros = await queries.usable(act.session, act.actor)
    coached = None
    text = (values or {}).get("body", "")
    if findings is not None and text:
        # The coach read the body with sample values; its marks point into that text.
        try:
            sample = placeholders.render(text, placeholders.SAMPLE)
        except placeholders.MissingData:
            sample = text
        coached = coach.panel(sample, findings, "macro")
    return render(
        request,
        "macros.html",
        status=status if status is not None else (error.status if error else 200),
        macros=macros,
        editing=editing,
        values=values or _form_values(editing),
        error=error,
        coached=coached,
        placeholders=placeholders.PLACEHOLDERS,
        statuses=rules.MACRO_STATUSES,
        goodwill_kinds=rules.GOODWILL_KINDS,
        is_lead=at_least(caller.agent.role, "supervisor"),
    )


@router.get("/macros")
async def macros_page(request: Request, caller: SignedIn) -> Response:
    return await _page(request, caller)


@router.get("/macros/{macro_id}")
async def edit_page(request: Request, macro_id: IdPath, caller: SignedIn) -> Response:
    """One macro in the form, with the coach's findings on its text."""
    async with caller.reading() as act:
        macro = await actions.get_usable(act, macro_id)
    values = _form_values(macro)
    try:
        findings = actions.check_text(macro.body, macro.language).as_json()
    except CoachBlocked as blocked:
        # Saved before the coach blocked such words: open it to be rewritten, with the
        # coach's findings and the refusal saving it as it stands would get.
        data = blocked.data.get("coaching")
        return await _page(
            request,
            caller,
            editing=macro,
            values=values,
            error=blocked,
            findings=data if isinstance(data, dict) else None,
            status=200,
        )
    except InvalidInput as bad:  # an unknown placeholder, say: the same, without findings
        return await _page(request, caller, editing=macro, values=values, error=bad, status=200)
    return await _page(request, caller, editing=macro, values=values, findings=findings)


async def _save(request: Request, caller: Any, macro_id: int | None) -> Response:
    form = await checked_form(request)
    values = _form_values(None, form)
    editing = None
    try:
        async with caller.writing() as act:
            if macro_id is not None:
                editing = await actions.get_usable(act, macro_id)
            wanted: dict[str, Any] = {
                "name": values["name"],
                "language": values["language"],
                "body": values["body"],
                "actions": _actions_from(form),
            }
            if macro_id is None:
                macro, _ = await actions.create(act, shared=values["shared"] == "1", **wanted)
            else:
                macro, _ = await actions.update(act, macro_id, **wanted)
    except BalieError as error:
        findings = error.data.get("coaching") if isinstance(error, CoachBlocked) else None
        return await _page(
            request, caller, editing=editing, values=values, error=error, findings=findings
        )
    return redirect(f"/macros/{macro.id}")


@router.post("/macros")
async def create_macro(request: Request, caller: SignedIn) -> Response:
    return await _save(request, caller, None)


@router.post("/macros/{macro_id}")
async def update_macro(request: Request, macro_id: IdPath, caller: SignedIn) -> Response:
    return await _save(request, caller, macro_id)


@router.post("/macros/{macro_id}/delete")
async def delete_macro(request: Request, macro_id: IdPath, caller: SignedIn) -> Response:
    await checked_form(request)
    async with caller.writing() as act:
        await actions.delete(act, macro_id)
    return redirect("/macros")
