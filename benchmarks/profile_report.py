"""Where a tap's CPU goes, from the pstats file of a profiled bot (benchmarks/latency.py --profile N).

Two views, in CPU ms per tap (each thread timed by its own CPU clock, cProfile's overhead included,
so the shares matter more than the sums):
- by code: each function's own time, summed by where it lives (PTB's objects, its Application,
  httpx, SQLite, jinja2 …); these add up to the whole;
- by activity: the inclusive time of named entry points (the update's transaction, evaluation,
  rendering, logging …); these overlap (rendering happens inside the transaction).

  .venv/bin/python benchmarks/profile_report.py FILE TAPS
"""

from __future__ import annotations

import pstats
import sys
from collections import defaultdict

# (label, test of a pstats key (file, line, function)); the first that matches takes the function.
CODE: list[tuple[str, tuple[str, ...]]] = [
    ("the rate limiter (bot/telegram/ratelimit.py)", ("bot/telegram/ratelimit.py",)),
    ("logging (logging, bot/logsafe.py)", ("/logging/", "bot/logsafe.py")),
    ("our adapter (bot/telegram)", ("bot/telegram/",)),
    ("our chat core (bot/chat)", ("bot/chat/",)),
    ("our store (bot/store, aiosqlite)", ("bot/store/", "aiosqlite/")),
    ("SQLite (sqlite3 calls)", ("sqlite3.",)),
    ("our features (bot/features, bot/delivery)", ("bot/features/", "bot/delivery/")),
    (
        "evaluation (conversations/outcome.py, predicates, interview)",
        ("conversations/outcome.py", "conversations/predicates.py", "conversations/interview.py"),
    ),
    (
        "rendering (jinja2, markupsafe, templates, conversations/render.py, i18n)",
        (
            "jinja2/",
            "markupsafe",
            "/templates/",
            "conversations/render.py",
            "conversations/i18n.py",
            "babel/",
            "gettext",
            "<template>",
        ),
    ),
    ("other conversations/ code", ("conversations/",)),
    ("PTB request layer (telegram/request: parameters, JSON)", ("telegram/request/",)),
    ("PTB Application (telegram/ext: updater, dispatch, handlers)", ("telegram/ext/",)),
    ("PTB objects and Bot methods (telegram/_*: de_json, to_dict, __init__)", ("telegram/",)),
    (
        "the HTTP client (aiohttp, yarl, multidict; PTB's httpx, httpcore, h11, anyio)",
        (
            "aiohttp/",
            "yarl/",
            "multidict/",
            "propcache/",
            "frozenlist/",
            "aiosignal/",
            "httpx/",
            "httpcore/",
            "h11/",
            "anyio/",
            "sniffio/",
            "urllib/",
        ),
    ),
    ("importing (a failed import retried on every call: httpcore's sniffio)", ("importlib", "_distutils_hack")),
    ("JSON (json module)", ("/json/", "_json")),
    (
        "the event loop (asyncio, selectors, sockets)",
        (
            "asyncio/",
            "selectors",
            "select.",
            "socket",
            "_asyncio",
            "ssl",
            "_contextvars",
            "threading.py",
            "queue.py",
            "concurrent/",
        ),
    ),
]

# (label, file suffix, function name): inclusive time of one entry point.
ACTIVITIES: list[tuple[str, str, str]] = [
    ("the update's transaction (Storage.atomically's work)", "bot/store/storage.py", "in_transaction"),
    ("  of it: the step (routing, the feature's handler)", "bot/chat/service.py", "_handle_in"),
    ("  of it: loading the user", "bot/store/users.py", "load_user"),
    ("  of it: saving the user", "bot/store/users.py", "save_user"),
    ("  of it: roles", "bot/chat/roles.py", "roles_of"),
    ("evaluation (conversations.outcome.evaluate)", "conversations/outcome.py", "evaluate"),
    ("a question's message (Turn.question_message)", "bot/chat/turn.py", "question_message"),
    ("the outcome's messages and file (Turn.outcome_actions)", "bot/chat/turn.py", "outcome_actions"),
    ("jinja rendering (Template.render)", "jinja2/environment.py", "render"),
    ("Bot API calls (ExtBot._do_post: limiter, request, HTTP)", "telegram/ext/_extbot.py", "_do_post"),
    ("  of it: httpx (AsyncClient.request; PTB's default client)", "httpx/_client.py", "request"),
    ("  of it: aiohttp (ClientSession._request; the bot's client)", "aiohttp/client.py", "_request"),
    (
        "  of it: parameters to JSON (RequestData.json_parameters)",
        "telegram/request/_requestdata.py",
        "json_parameters",
    ),
    ("  of it: parsing the answers (parse_json_payload)", "telegram/request/_baserequest.py", "parse_json_payload"),
    ("updates fetched and built (Updater polling, Update.de_json)", "telegram/ext/_updater.py", "polling_action_cb"),
    ("Update objects built (Update.de_json)", "telegram/_update.py", "de_json"),
    ("Message objects built (Message.de_json: the tapped message of each update)", "telegram/_message.py", "de_json"),
    ("handling in PTB (Application.process_update)", "telegram/ext/_application.py", "process_update"),
    ("our handler (bot.telegram.handlers.serve)", "bot/telegram/handlers.py", "serve"),
    ("  of it: perform (the Bot API calls of the reply)", "bot/telegram/perform.py", "perform"),
    ("the rate limiter (process_request, callback included)", "bot/telegram/ratelimit.py", "process_request"),
    ("logging a record (Logger._log)", "logging/__init__.py", "_log"),
    ("user id hashed for the log (logsafe.hashed)", "bot/logsafe.py", "hashed"),
    ("the outbox sender's tick", "bot/delivery/sender.py", "tick"),
]


def where(key: tuple[str, int, str]) -> str:
    file, _, function = key
    text = f"{file}:{function}".replace("\\", "/")
    for label, marks in CODE:
        if any(mark in text for mark in marks):
            return label
    return "other (stdlib and the rest)"


def print_profile(path: object, taps: int) -> None:
    stats = pstats.Stats(str(path))
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    per_tap = 1000 / max(taps, 1)
    total = sum(tt for _, _, tt, _, _ in raw.values())
    if taps <= 0:  # a run that served no tap: shares only
        per_tap = 1000.0
    print(
        f"Profile of the bot: {total * per_tap:.2f} CPU ms per tap under cProfile "
        f"({taps} taps; thread CPU clocks; profiler overhead included)"
    )
    print("  by code (own time; adds up to the whole):")
    by_code: dict[str, float] = defaultdict(float)
    for key, (_, _, tt, _, _) in raw.items():
        by_code[where(key)] += tt
    for label, seconds in sorted(by_code.items(), key=lambda kv: -kv[1]):
        print(f"    {seconds * per_tap:7.3f} ms  {seconds / total * 100:5.1f}%  {label}")
    print("  by activity (inclusive; overlapping):")
    for label, suffix, function in ACTIVITIES:
        seconds = sum(
            ct
            for (file, _, name), (_, _, _, ct, _) in raw.items()
            if name == function and file.replace("\\", "/").endswith(suffix)
        )
        print(f"    {seconds * per_tap:7.3f} ms  {seconds / total * 100:5.1f}%  {label}")
    print("  the 20 functions with the most own time:")
    top = sorted(raw.items(), key=lambda kv: -kv[1][2])[:20]
    for (file, line, function), (_, calls, tt, _, _) in top:
        short = "/".join(file.replace("\\", "/").split("/")[-2:])
        print(f"    {tt * per_tap:7.3f} ms  {calls / max(taps, 1):7.1f} calls/tap  {short}:{line} {function}")


USAGE = "usage: profile_report.py FILE TAPS  (the pstats file of latency.py --profile N, and N's taps)"

if __name__ == "__main__":
    if sys.argv[1:2] in (["-h"], ["--help"]):
        print(USAGE)
        sys.exit(0)
    if len(sys.argv) != 3 or not sys.argv[2].isdigit():
        sys.exit(USAGE)
    print_profile(sys.argv[1], int(sys.argv[2]))
