"""The feature registry routes by role, by a feature's own button kind and by awaited input;
typed buttons pack into 64 bytes and parse back, or read as stale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from bot.chat.buttons import Answer, Back, CallbackData, Restart, Tick, parse
from bot.chat.events import Attachment, ButtonPressed, Command, StalePressed, Text, pressed
from bot.chat.registry import Fallbacks, Registry
from bot.store import users as st


@dataclass(frozen=True)
class SendBroadcast(CallbackData, prefix="tt.send"):
    action: str
    number: int


@dataclass(frozen=True)
class QaEntry(CallbackData, prefix="tt.qa"):
    pass


@dataclass(frozen=True)
class Unregistered(CallbackData, prefix="tt.zz"):
    pass


def _step(name: str) -> Any:
    def step(event: Any, turn: Any) -> None:
        return None

    step.__name__ = name
    return step


def fallbacks() -> Fallbacks:
    return Fallbacks(_step("unknown"), _step("unhandled"), _step("no_permission"), _step("stale"), _step("gone"))


@pytest.fixture
def registry() -> Registry:
    r = Registry(fallbacks=fallbacks())
    r.command("start", "Start", "start", _step("start"), rank=1)
    r.command("stats", "Stats", "stats", _step("stats"), rank=2, role="contact")
    r.on_button(SendBroadcast, _step("broadcast_button"), role="contact")
    r.on_button(QaEntry, _step("qa_button"))
    r.on_awaited("bc_text", _step("broadcast_text"), role="contact")
    r.on_text(_step("free_text"))
    return r


def routed(registry: Registry, event: Any, **kw: Any) -> str:
    return registry.route_for(event, **kw).step.__name__


def test_a_privileged_command_answers_no_permission_without_the_role(registry: Registry) -> None:
    assert routed(registry, Command(1, 1, name="stats")) == "no_permission"
    assert routed(registry, Command(1, 1, name="stats"), roles={"hr"}) == "no_permission"
    assert routed(registry, Command(1, 1, name="stats"), roles={"contact"}) == "stats"


def test_the_menu_and_help_list_only_the_commands_of_ones_roles(registry: Registry) -> None:
    assert [c.name for c in registry.visible_commands(())] == ["start"]
    assert [c.name for c in registry.visible_commands({"contact"})] == ["start", "stats"]


def test_a_forged_privileged_button_answers_no_permission(registry: Registry) -> None:
    event = pressed(SendBroadcast("send", 12).pack(), user_id=1, chat_id=1)
    assert event == ButtonPressed(1, 1, button=SendBroadcast("send", 12))
    assert routed(registry, event) == "no_permission"
    assert routed(registry, event, roles={"contact"}) == "broadcast_button"


def test_an_unknown_button_kind_is_not_routed_to_a_feature(registry: Registry) -> None:
    assert routed(registry, ButtonPressed(1, 1, button=Unregistered())) == "stale"
    assert routed(registry, StalePressed(1, 1, data="zz:1")) == "stale"


def test_typed_buttons_pack_and_parse_back_and_anything_else_is_stale() -> None:
    for button in (
        Answer("level", "associate_senior"),
        Back(""),
        Back("q05"),
        Restart(),
        Tick("education"),
        SendBroadcast("send", 12),
        QaEntry(),
    ):
        assert parse(button.pack()) == button
    assert SendBroadcast("send", 12).pack() == "tt.send:send:12"
    for data in (
        None,
        "",
        "tt.send:send",
        "tt.send:send:12:13",
        "tt.send:send:x",
        "tt.send:a b:1",
        "nope:1",
        "tt.qa:" + "x" * 60,
        "tt.send:send:" + "9" * 70,
    ):
        assert parse(data) is None, data


def test_data_of_an_older_release_still_reads_for_the_buttons_users_may_still_have() -> None:
    assert parse("a:level:junior") == Answer("level", "junior")
    assert parse("b:-") == Back("")
    assert parse("b:q05_x") == Back("q05_x")
    assert parse("t:education") == Tick("education")
    assert parse("r") == Restart()


def test_a_file_goes_to_the_route_of_the_senders_role_or_gets_the_ordinary_reply() -> None:
    r = Registry(fallbacks=fallbacks())
    r.on_file({"document"}, _step("case_file"), role="hr")
    r.on_file({"document", "photo"}, _step("upload"))
    document = Attachment(1, 1, kind="document")
    assert routed(r, document, roles={"hr"}) == "case_file"
    assert routed(r, document) == "upload"
    assert routed(r, Attachment(1, 1, kind="sticker")) == "unhandled"
    only_hr = Registry(fallbacks=fallbacks())
    only_hr.on_file({"document"}, _step("case_file"), role="hr")
    assert routed(only_hr, document) == "unhandled"


def test_awaited_input_goes_to_its_feature_and_still_checks_the_role(registry: Registry) -> None:
    text = Text(1, 1, text="hello")
    assert routed(registry, text) == "free_text"
    assert routed(registry, text, awaiting="bc_text", roles={"contact"}) == "broadcast_text"
    document = Attachment(1, 1, kind="document")
    assert routed(registry, document, awaiting="bc_text", roles={"contact"}) == "broadcast_text"
    assert routed(registry, text, awaiting="bc_text") == "no_permission"
    assert routed(registry, text, awaiting="gone") == "free_text"  # a key no longer registered


def test_button_data_fits_64_bytes_or_is_refused() -> None:
    with pytest.raises(ValueError):
        SendBroadcast("x" * 48, 10**15).pack()
    with pytest.raises(ValueError):
        SendBroadcast("with:colon", 1).pack()
    assert parse("tt.send:" + "a" * 60) is None


async def test_a_wizard_waiting_for_input_survives_a_restart(tmp_path: Any) -> None:
    from bot.store.storage import Storage

    first = await Storage(tmp_path / "bot.sqlite3").open()
    state = await first.atomically(lambda db: st.load_user(db, 7, 7))
    before = state.snapshot()
    state.started = True
    state.await_input("bc_text", audience={"level": "senior"}, step=2)
    await first.atomically(lambda db: st.save_user(db, state, None if not before.exists else before))
    await first.close()
    second = await Storage(tmp_path / "bot.sqlite3").open()
    loaded = await second.atomically(lambda db: st.load_user(db, 7, 7))
    assert (loaded.awaiting, loaded.awaiting_data) == ("bc_text", {"audience": {"level": "senior"}, "step": 2})
    loaded_before = loaded.snapshot()
    loaded.await_input(None)
    await second.atomically(lambda db: st.save_user(db, loaded, loaded_before))
    again = await second.atomically(lambda db: st.load_user(db, 7, 7))
    assert (again.awaiting, again.awaiting_data) == (None, {})
    await second.close()


def test_a_deep_link_reaches_the_feature_of_its_prefix_and_checks_its_role() -> None:
    r = Registry(fallbacks=fallbacks())
    r.command("start", "Start", "start", _step("start"), rank=1)
    r.on_deep_link("hr", _step("invitation"))
    r.on_deep_link("op", _step("office_only"), role="contact")
    assert routed(r, Command(1, 1, name="start", args=("hr_abc-DEF_1",))) == "invitation"
    assert routed(r, Command(1, 1, name="start", args=("zz_abc",))) == "start"  # an unknown prefix: plain /start
    assert routed(r, Command(1, 1, name="start", args=("hr",))) == "start"
    assert routed(r, Command(1, 1, name="start")) == "start"
    assert routed(r, Command(1, 1, name="help", args=("hr_abc",))) == "unknown"
    assert routed(r, Command(1, 1, name="start", args=("op_x",))) == "no_permission"
    assert routed(r, Command(1, 1, name="start", args=("op_x",)), roles={"contact"}) == "office_only"
    with pytest.raises(ValueError):
        r.on_deep_link("hr", _step("again"))


def test_a_route_may_be_open_to_any_of_several_roles() -> None:
    r = Registry(fallbacks=fallbacks())
    r.command("case", "Case", "case", _step("case"), rank=1, role=frozenset({"hr", "contact"}))
    assert routed(r, Command(1, 1, name="case")) == "no_permission"
    assert routed(r, Command(1, 1, name="case"), roles={"hr"}) == "case"
    assert routed(r, Command(1, 1, name="case"), roles={"contact"}) == "case"
    assert [c.name for c in r.visible_commands({"hr"})] == ["case"] and not r.visible_commands(())
