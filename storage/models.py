"""The database schema. Every row that must survive a crash lives here.

Names follow the glossary in DOMAIN.md: a `Unit` is a node of the administrative tree, a
`Person` owns one or more platform `Identity` rows, `RoleAssignment` binds a person to a unit
with a role.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.folding import fold
from storage.types import UTCDateTime


class Base(DeclarativeBase):
    """Declarative base with a naming convention so Alembic migrations are stable."""

    type_annotation_map: ClassVar = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


Base.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Role(enum.StrEnum):
    """What a person may do at a unit (DOMAIN.md, Roles)."""

    PROVINCE_ADMIN = "province_admin"
    UNIT_ADMIN = "unit_admin"
    OFFICER = "officer"
    MEMBER = "member"
    CITIZEN = "citizen"


class Platform(enum.StrEnum):
    TELEGRAM = "telegram"
    ZALO = "zalo"


class ConversationStatus(enum.StrEnum):
    """A conversation is waiting for an answer until it ends in one of the terminal states."""

    WAITING = "waiting"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Unit(Base):
    """A node of the unit tree: province, (district,) commune, of any depth.

    `path` is the chain of codes from the root (`/86/29641/`), so a subtree is one
    `LIKE '/86/%'` query on any backend.
    """

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    level: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), index=True)
    email: Mapped[str | None] = mapped_column(String(254))  # the unit's mailbox (urgent issues, digest, export)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class Person(Base):
    """Someone who has consented and registered. Holds as little personal data as possible.

    `full_name` is only ever what the person typed when asked (registering with an invite);
    citizens are not asked and have none.
    """

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(120))
    consent_at: Mapped[datetime]
    created_at: Mapped[datetime]
    # Where broadcasts go for someone with identities on both platforms (None: the first one).
    preferred_platform: Mapped[str | None] = mapped_column(String(16))

    identities: Mapped[list[Identity]] = relationship(back_populates="person", cascade="all, delete-orphan")
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="person", cascade="all, delete-orphan", foreign_keys="RoleAssignment.person_id"
    )


class Identity(Base):
    """One platform account of a person: `(platform, external_id)` is unique.

    No profile name: the name a platform shows (Telegram's first and last name, Zalo's display
    name) was never typed for us, and citizens are promised that no name is kept.
    """

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    unreachable_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    person: Mapped[Person] = relationship(back_populates="identities")


class RoleAssignment(Base):
    """A person holds a role at a unit (and, for admins, over its subtree)."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("person_id", "unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(24))
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    person: Mapped[Person] = relationship(back_populates="roles", foreign_keys=[person_id])
    unit: Mapped[Unit] = relationship(lazy="selectin")


class Invite(Base):
    """A single-use, expiring code that binds its user to a unit and role.

    Only a SHA-256 hash of the code is stored: a leaked database cannot be used to join.
    """

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(24))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))

    unit: Mapped[Unit] = relationship(lazy="selectin")


class Conversation(Base):
    """Where a person stands in a guided flow: step by *name*, answers as JSON.

    Keyed by platform user, not by person, because a stranger is in a flow (consent)
    before they are a person.
    """

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_user_status", "platform", "user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    flow: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(40))
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    history: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default=ConversationStatus.WAITING)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class ProcessedUpdate(Base):
    """Update ids already handled, so a replayed or re-delivered update does nothing."""

    __tablename__ = "processed_updates"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class CodeTry(Base):
    """A wrong invite or link code typed from a platform account (`bot.services.people.code_tries`).

    Kept in the database so that a restart does not forgive a guesser; pruned after the hour
    in which it counts.
    """

    __tablename__ = "code_tries"
    __table_args__ = (Index("ix_code_tries_account", "platform", "external_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)


class AuditEntry(Base):
    """Who did which privileged thing, when, to what. Never deleted by /forget."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(120), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)


class ReportStatus(enum.StrEnum):
    """Where a report stands. `late` is a separate flag: a late report is still submitted."""

    DRAFT = "draft"  # being filled in (or reopened for a change before its deadline)
    SUBMITTED = "submitted"  # sent to the level above, waiting for review
    RETURNED = "returned"  # sent back by the reviewer with a reason; the unit fixes and resubmits
    ACCEPTED = "accepted"  # reviewed and accepted


class Report(Base):
    """One unit's report for one period: shared by all officers of the unit.

    `answers` holds every answer as it is given (key → value), so nothing typed is lost;
    `submitted_answers` is the snapshot last sent up, so a reviewer can see what changed;
    `previous_answers` the one sent up before it (a resubmission's "what changed", migration 0011).
    """

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("unit_id", "period_kind", "period_key"),
        Index("ix_reports_period", "period_kind", "period_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    period_kind: Mapped[str] = mapped_column(String(8))
    period_key: Mapped[str] = mapped_column(String(10))
    form_id: Mapped[str] = mapped_column(String(40))
    form_version: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12), default=ReportStatus.DRAFT)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    submitted_answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    previous_answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    deadline: Mapped[datetime]
    late: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime | None]
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    return_reason: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    unit: Mapped[Unit] = relationship(lazy="selectin")


class ReminderLedger(Base):
    """Every reminder, escalation and digest claimed for sending: one row each, ever.

    The unique key is the whole guarantee: the process whose insert succeeds sends it; a
    restart, a second tick or a second process finds the row and sends nothing.
    """

    __tablename__ = "reminder_ledger"
    __table_args__ = (UniqueConstraint("kind", "unit_id", "period_key", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # remind | escalate | digest
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period_key: Mapped[str] = mapped_column(String(10), index=True)  # a period, or an ISO week
    stage: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[datetime]


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class MailMessage(Base):
    """One e-mail to one unit's mailbox: the mail outbox's unit of work and its once-only ledger.

    The unique key (kind, subject, unit) is the guarantee: whoever inserts the row first has
    queued the mail; a second tick, a restart or a second process inserts nothing. The message
    is stored whole (subject, body, attachment) so that a retry sends exactly the same mail with
    the same Message-ID. A sender claims a row by pushing `next_attempt_at` forward (a lease).
    """

    __tablename__ = "mail_messages"
    __table_args__ = (
        UniqueConstraint("kind", "subject_key", "unit_id"),
        Index("ix_mail_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # issue | digest | export
    subject_key: Mapped[str] = mapped_column(String(32))  # an issue id, an ISO week or a period key
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    attachment_name: Mapped[str | None] = mapped_column(String(120))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(12), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class NoticeMessage(Base):
    """One copy of an actionable notice as the platform numbered it (a report to review, content
    to approve, an urgent alert), so that when one admin acts the others' copies are updated."""

    __tablename__ = "notice_messages"
    __table_args__ = (Index("ix_notice_messages_subject", "kind", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # report | broadcast | issue | feedback
    subject_id: Mapped[int]
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(index=True)


class ConsoleLink(Base):
    """A one-time sign-in link to the web console, asked for in the chat with /web.

    Only a hash of the token is kept, so the table cannot be read back into working links.
    `used_at` makes it single use; `expires_at` is ten minutes after it was given.
    """

    __tablename__ = "console_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ConsoleSession(Base):
    """A signed-in browser: the cookie carries the token, the row its hash, the CSRF token and
    the last time it was used (idle sessions expire)."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    flash: Mapped[str | None] = mapped_column(Text)  # what the last action said, shown once on the next page


# --------------------------------------------------------------------------- broadcasts


class BroadcastTopic(enum.StrEnum):
    """The plan's two kinds of content (DOMAIN.md): focal topics and regular information."""

    FOCAL = "focal"
    REGULAR = "regular"


class BroadcastStatus(enum.StrEnum):
    """Where a broadcast stands. Only `sending` broadcasts have deliveries the outbox may send.

    draft → pending_approval → approved → (scheduled →) sending → completed | stopped;
    pending_approval → rejected; draft, pending_approval, approved, scheduled → cancelled.
    """

    DRAFT = "draft"  # being written; only its author works on it
    PENDING_APPROVAL = "pending_approval"  # submitted; waits for a province admin other than the author
    APPROVED = "approved"  # approved and not yet released: send now or schedule
    REJECTED = "rejected"  # refused with a reason; terminal (the author writes a new one)
    SCHEDULED = "scheduled"  # approved and due at send_at; the scheduler releases it then
    SENDING = "sending"  # expanded into deliveries; the outbox works through them
    COMPLETED = "completed"  # nothing left pending: each delivery sent, failed or unreachable; terminal
    STOPPED = "stopped"  # stopped while sending: what was sent stays sent, the rest cancelled; terminal
    CANCELLED = "cancelled"  # withdrawn before sending started; terminal


class DeliveryStatus(enum.StrEnum):
    """One message of a broadcast to one chat."""

    PENDING = "pending"  # to send, now or at next_attempt_at; a worker holds it while claimed_until
    SENT = "sent"  # the platform accepted it (message_id, sent_at)
    FAILED = "failed"  # given up: rejected by the platform, or still failing after the attempt limit
    UNREACHABLE = "unreachable"  # blocked, deactivated or kicked; the identity or chat is marked too
    CANCELLED = "cancelled"  # the broadcast was stopped before this one was sent


class LinkedChatKind(enum.StrEnum):
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"
    PAGE = "page"  # a Facebook Page (platform "facebook"): its token is in `page_tokens`


class LinkedChat(Base):
    """A group or channel the bot sits in, optionally linked to a unit so broadcasts reach it.

    A row appears when the bot is added (`active`) and stays when it is removed (`removed_at`),
    so a unit's link survives the bot being re-added. A migrated group keeps its row, new id.
    """

    __tablename__ = "linked_chats"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    added_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]

    unit: Mapped[Unit | None] = relationship(lazy="selectin")


class PageToken(Base):
    """The access token of a linked Facebook Page, encrypted at rest (Fernet, PAGE_TOKEN_KEY).

    One row per Page link (a `LinkedChat` of platform "facebook"). `broken_at` is set when
    Facebook said the token expired or was revoked; the province admins are told once, and
    relinking with a new token clears it.
    """

    __tablename__ = "page_tokens"

    linked_chat_id: Mapped[int] = mapped_column(
        ForeignKey("linked_chats.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(Text)  # Fernet ciphertext, never the token itself
    linked_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]
    broken_at: Mapped[datetime | None]
    broken_reason: Mapped[str | None] = mapped_column(String(200))


class PagePost(Base):
    """A post we are about to publish (or published) on a Page: the journal that keeps a
    crash from posting twice (the Graph API has no idempotency key; see README, "Facebook Pages").

    Written before the call; `post_id` once Facebook answered. A retry that finds a row without
    `post_id` first looks on the Page for a post with the same words that we did not record.
    """

    __tablename__ = "page_posts"
    __table_args__ = (UniqueConstraint("page_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))  # what is posted, e.g. "broadcast:12"
    started_at: Mapped[datetime]
    post_id: Mapped[str | None] = mapped_column(String(64))


class Broadcast(Base):
    """Content pushed to an audience, approved by a second province admin before it goes out.

    `audience` is the spec as JSON ({"units": [codes], "roles": [...], "include_linked_chats"}),
    expanded into `Delivery` rows only when the broadcast is released. The media, if any, is
    kept in the row (deferred), so a restart never loses what was approved. `version` grows on
    every change: a scheduled job that carries an older version does nothing.
    """

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status_send_at", "status", "send_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[bool] = mapped_column(default=False, server_default=false())  # text is Telegram HTML
    media_kind: Mapped[str | None] = mapped_column(String(16))  # photo | document
    media_name: Mapped[str | None] = mapped_column(String(200))
    media: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    topic: Mapped[str] = mapped_column(String(12), default=BroadcastTopic.REGULAR)
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default=BroadcastStatus.DRAFT)
    version: Mapped[int] = mapped_column(default=0)
    recipients: Mapped[int | None]  # deliveries created at release
    submitted_at: Mapped[datetime | None]
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    reject_reason: Mapped[str | None] = mapped_column(Text)
    send_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    summary_sent_at: Mapped[datetime | None]  # when the author was told the figures
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Delivery(Base):
    """One message of a broadcast to one chat: the outbox's unit of work and its ledger.

    A worker claims a row by setting `claimed_until` (a lease) and `claimed_by`; if the worker
    dies, the lease runs out and another worker takes the row again. Only messages in flight
    at a crash can thus be sent twice. Deleting an identity (/forget) deletes its deliveries.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "platform", "chat_id"),
        Index("ix_deliveries_claim", "status", "id"),
        Index("ix_deliveries_broadcast_status", "broadcast_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    identity_id: Mapped[int | None] = mapped_column(
        ForeignKey("identities.id", ondelete="CASCADE"), index=True
    )
    linked_chat_id: Mapped[int | None] = mapped_column(
        ForeignKey("linked_chats.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(24))  # reason class: transient, rejected, gone...
    error_detail: Mapped[str | None] = mapped_column(String(200))
    message_id: Mapped[str | None] = mapped_column(String(64))  # a Page post id is "<page>_<post>"
    sent_at: Mapped[datetime | None]
    # The copy offers "shared into Zalo groups" (an officer's or unit admin's copy of content,
    # decided when the audience is expanded, like the rows themselves).
    offers_share: Mapped[bool] = mapped_column(default=False, server_default=false())


class GroupShare(Base):
    """An officer's word that they forwarded a broadcast into their Zalo groups, and into how many.

    One row per (broadcast, person, unit): a second confirmation changes `groups`. The unit's
    shares in a period suggest its report's "posts on social media". Erasing the person keeps
    the unit's figure (person set to NULL), as reports and observations are kept.
    """

    __tablename__ = "group_shares"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "person_id", "unit_id"),
        Index("ix_group_shares_unit_shared", "unit_id", "shared_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    groups: Mapped[int] = mapped_column()
    shared_at: Mapped[datetime]  # the first confirmation: the period the share counts in
    updated_at: Mapped[datetime]


class LinkCode(Base):
    """A one-time code that links a second platform's account to an existing person."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


def _folded_text(context: Any) -> str:
    """Column default of `Feedback.folded_text`: the row's own text, folded (Core inserts too)."""
    return fold(context.get_current_parameters().get("text") or "")


class Feedback(Base):
    """What a member or citizen wrote in (phản ánh, kiến nghị).

    Anonymous feedback has no `person_id` and nothing else that leads back to its sender.
    """

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    tone: Mapped[str | None] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    # The text folded (lower case, no diacritics; migration 0018), so that staff who type
    # "phong hoc" find "Phòng học"; filled from `text` on every insert.
    folded_text: Mapped[str | None] = mapped_column(Text, default=_folded_text)
    photos: Mapped[list[Any]] = mapped_column(default=list)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="new")  # new | seen | escalated
    created_at: Mapped[datetime] = mapped_column(index=True)
    # An admin's answer to named feedback (migration 0009); the sender reads it with /phananh PA-….
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class Observation(Base):
    """Public mood an officer saw in their area (nắm tình hình tư tưởng, dư luận)."""

    __tablename__ = "observations"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(40))
    tone: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    people_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(index=True)


class UrgentIssue(Base):
    """A ticket for an emergent problem: open → acknowledged → resolved, re-alerted if ignored."""

    __tablename__ = "urgent_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    raised_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(14), default="open", index=True)
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    alerts: Mapped[int] = mapped_column(default=0)
    last_alert_at: Mapped[datetime | None]

    unit: Mapped[Unit] = relationship(lazy="selectin")


class Poll(Base):
    """A quick question with 2–6 options, sent like a broadcast (and approved like one)."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[list[Any]] = mapped_column()
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | open | closed
    created_at: Mapped[datetime]
    closes_at: Mapped[datetime | None]


class PollVote(Base):
    """One vote per person and poll; changing it updates the row."""

    __tablename__ = "poll_votes"
    __table_args__ = (UniqueConstraint("poll_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    option: Mapped[int] = mapped_column()
    voted_at: Mapped[datetime]


class SendBudgetRow(Base):
    """The sending budget of one bot token shared by every process on this database (PostgreSQL):
    the next start time on its timeline. Keyed by a hash of the token, never the token."""

    __tablename__ = "send_budgets"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)  # "<platform>:<sha256 of the token, 32 hex>"
    next_at: Mapped[float] = mapped_column(Double, default=0.0)  # seconds since the epoch, the database's clock


# --------------------------------------------------------------------------- shared by processes
# What one process used to keep on its own disk or in its own memory, so that several
# `python -m bot run` processes on one PostgreSQL can each take any event (README, Several processes).


class JobRun(Base):
    """One scheduler job's run in one time slot: the process whose insert succeeds runs it."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # start of the slot, Unix seconds
    ran_at: Mapped[datetime] = mapped_column(index=True)


class ZaloInboxEvent(Base):
    """A private-chat Zalo event accepted (answered 200) but not yet handled.

    Deleted once handled; a row whose holder died (its lease ran out) is taken by another process.
    """

    __tablename__ = "zalo_inbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event: Mapped[str] = mapped_column(Text)  # the event's JSON (ASCII escapes)
    accepted_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime] = mapped_column(index=True)


class ServedFile(Base):
    """An image or file we made, served at /media/<name> for Zalo to fetch, until `expires_at`."""

    __tablename__ = "served_files"

    name: Mapped[str] = mapped_column(String(48), primary_key=True)  # random, unguessable
    digest: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the bytes and file name
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ZaloOffer(Base):
    """The options last shown in a Zalo chat, so a typed number means the option (`Offers`)."""

    __tablename__ = "zalo_offers"

    chat_key: Mapped[str] = mapped_column(String(32), primary_key=True)  # a hash of the chat id
    offer: Mapped[dict[str, Any]] = mapped_column()  # values, labels, numbered
    offered_at: Mapped[datetime] = mapped_column(index=True)


class FeedbackSend(Base):
    """One feedback item sent, counted for the per-person hourly limit; pruned after the hour.

    The sender is a keyed hash, not the account: anonymous senders leave no name or id behind.
    """

    __tablename__ = "feedback_sends"
    __table_args__ = (Index("ix_feedback_sends_sender", "sender", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)


def table(model: type[Base]) -> Table:
    """A model's Core table, typed: `update(table(M))` changes rows without the ORM's session sync."""
    return cast(Table, model.__table__)


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (the count lives on the cursor result)."""
    return cast(CursorResult[Any], result).rowcount
