"""The buttons of units and their HR: the applicant's (/myunit), HR's (/unit) and the contact
persons' (/units). HR's and the contact persons' carry the ids they act on; every step checks,
at the press, that the user may act on them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.buttons import CallbackData

# --- the applicant's ---


@dataclass(frozen=True)
class UnitsPage(CallbackData, prefix="mu.page"):
    page: int


@dataclass(frozen=True)
class ChooseUnit(CallbackData, prefix="mu.choose"):
    unit: int


@dataclass(frozen=True)
class Consent(CallbackData, prefix="mu.consent"):
    """同意 / 不同意 to a link; `via`: "l" the unit's link, "c" chosen from the list."""

    unit: int
    via: str
    agree: bool


@dataclass(frozen=True)
class Unlink(CallbackData, prefix="mu.unlink"):
    pass


# --- HR's ---


@dataclass(frozen=True)
class ShowUnit(CallbackData, prefix="hr.unit"):
    legacy = r"x:un:(\d{1,19})"  # under HR reminders already queued by an older release
    unit: int


@dataclass(frozen=True)
class UnitCsv(CallbackData, prefix="hr.csv"):
    unit: int


@dataclass(frozen=True)
class ShowApplicant(CallbackData, prefix="hr.applicant"):
    unit: int
    number: int


@dataclass(frozen=True)
class Attachments(CallbackData, prefix="hr.annex"):
    unit: int
    number: int


# --- the contact persons' ---


@dataclass(frozen=True)
class AllUnits(CallbackData, prefix="un.units"):
    pass


@dataclass(frozen=True)
class UnitDetail(CallbackData, prefix="un.unit"):
    unit: int


@dataclass(frozen=True)
class RevokeInvitation(CallbackData, prefix="un.revoke_inv"):
    invitation: int


@dataclass(frozen=True)
class RevokeHr(CallbackData, prefix="un.revoke_hr"):
    """撤销人事联系人: asks to confirm."""

    unit: int
    user: int


@dataclass(frozen=True)
class ConfirmRevokeHr(CallbackData, prefix="un.revoke_hr_ok"):
    """确认撤销: revokes the rights and tells the officer."""

    unit: int
    user: int


@dataclass(frozen=True)
class NewInvitation(CallbackData, prefix="un.invite"):
    unit: int
