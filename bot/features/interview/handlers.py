"""The interview: /start, /restart, answering a question, going back, starting over."""

from __future__ import annotations

from bot.chat.actions import EditOrigin, Toast
from bot.chat.buttons import Answer, Back, Restart, Retry
from bot.chat.events import ButtonPressed, Event
from bot.chat.registry import N_, Registry
from bot.chat.texts import message
from bot.chat.turn import Turn
from bot.features.notices.handlers import offer_newer_notice
from conversations.outcome import answers_to_retry
from conversations.season import season_of


def on_start(event: Event, turn: Turn) -> None:
    turn.say_same("welcome", season=season_of(turn.notice, turn.today()))
    offer_newer_notice(turn)
    turn.state.started = True
    if turn.state.current_question is None and not turn.finished():
        turn.advance()
    if turn.finished():
        turn.send_outcome(with_document=False)
    else:
        turn.ask()


def on_restart(event: Event, turn: Turn) -> None:
    turn.state.answers.clear()
    turn.state.started = True
    turn.advance()
    turn.ask()


def on_restart_pressed(event: ButtonPressed[Restart], turn: Turn) -> None:
    turn.actions.append(Toast(turn._("Starting over")))
    on_restart(event, turn)


def on_answer(event: ButtonPressed[Answer], turn: Turn) -> None:
    question_id, option_id = event.button.question, event.button.option
    state = turn.state
    interview = turn.interview
    if not interview.is_valid_answer(question_id, option_id):
        return turn.stale_button()
    if question_id != state.current_question:
        if state.answers.get(question_id) == option_id:  # a double tap: already recorded
            turn.actions.append(Toast(turn._("Already recorded")))
            return None
        return turn.stale_button()
    question = interview.question(question_id)
    assert question is not None
    number = turn.number_of(question_id)
    state.answers[question_id] = option_id
    turn.actions.append(Toast(turn._("Recorded")))
    turn.advance()
    next_question = interview.question(state.current_question or "")
    if next_question is not None:  # the question message turns into the next question
        turn.actions.append(EditOrigin(*turn.question_message(next_question)))
        return None
    label = question.option(option_id).label  # type: ignore[union-attr]
    answered = message("answered", turn.locale, question=question, number=number, answer=label)
    turn.actions.append(EditOrigin(answered))
    turn.send_outcome(with_document=True)
    return None


def on_back(event: ButtonPressed[Back], turn: Turn) -> None:
    current = turn.state.current_question
    from_question = event.button.question or None  # "": under the outcome
    if (from_question is None) != (current is None) or (current is not None and from_question != current):
        return turn.stale_button()
    previous = turn.interview.previous(turn.state.answers, current)
    if previous is None:
        turn.actions.append(Toast(turn._("This is the first question")))
        return None
    turn.state.current_question = previous.id
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(*turn.question_message(previous)))
    return None


def on_retry(event: ButtonPressed[Retry], turn: Turn) -> None:
    """The outcome offered to answer a question anew (another level): drop that answer and the
    ones its rule read, and ask again from there."""
    if not turn.finished():
        return turn.stale_button()
    again = answers_to_retry(turn.notice, turn.state.answers)
    if again is None:
        return turn.stale_button()
    turn.state.answers = again
    turn.advance()
    turn.actions.append(Toast(""))
    turn.ask()
    return None


def register(registry: Registry) -> None:
    registry.command(
        "start", N_("Start or continue the questions"), N_("start or continue the questions"), on_start, rank=10
    )
    registry.command("restart", N_("Answer the questions again"), N_("answer the questions again"), on_restart, rank=40)
    registry.on_button(Answer, on_answer)
    registry.on_button(Back, on_back)
    registry.on_button(Restart, on_restart_pressed)
    registry.on_button(Retry, on_retry)
