"""Double-random, one-public inspections (双随机、一公开, RULES.md §3): the inspection item
list, the inspector pool, plans and their scheduled periods, drawn tasks with their teams,
and results.

Inspection is the top layer: it reads market's agency directory and credit's levels, and
writes results into credit.
"""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth.models import Organisation, User, enum_column
from core.db import Base, utcnow
from market.models import Agency, ServiceItem


class ItemKind(enum.StrEnum):
    GENERAL = "general"  # 一般检查事项
    KEY = "key"  # 重点检查事项


class InspectionItem(Base):
    """An entry of the inspection item list (抽查事项清单): no inspection without one."""

    __tablename__ = "inspection_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind), default=ItemKind.GENERAL)
    method: Mapped[str] = mapped_column(String(200))  # e.g. 书面检查、实地核查
    service_item_id: Mapped[int | None] = mapped_column(ForeignKey("service_item.id"))
    active: Mapped[bool] = mapped_column(default=True)

    department: Mapped[Organisation] = relationship()
    service_item: Mapped[ServiceItem | None] = relationship()


class InspectorProfile(Base):
    """An enforcement officer of the inspector pool (执法检查人员名录库)."""

    __tablename__ = "inspector_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    certificate_no: Mapped[str] = mapped_column(String(40))  # 执法证号
    expertise: Mapped[str] = mapped_column(String(200), default="")
    available: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User] = relationship(lazy="joined")


class InspectorConflict(Base):
    """A declared conflict of interest (回避) between an inspector and an agency."""

    __tablename__ = "inspector_conflict"
    __table_args__ = (UniqueConstraint("inspector_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("inspector_profile.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)

    inspector: Mapped[InspectorProfile] = relationship()
    agency: Mapped[Agency] = relationship()


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHED = "published"  # periods are drawn on schedule
    CLOSED = "closed"


class ScheduleKind(enum.StrEnum):
    CRON = "cron"  # a crontab expression, e.g. "0 9 1 */3 *" (quarterly)
    DATES = "dates"  # fixed draw dates


plan_department = Table(
    "inspection_plan_department",
    Base.metadata,
    Column("plan_id", ForeignKey("inspection_plan.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("organisation.id"), primary_key=True),
)

plan_item = Table(
    "inspection_plan_item",
    Base.metadata,
    Column("plan_id", ForeignKey("inspection_plan.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("inspection_item.id"), primary_key=True),
)


class Plan(Base):
    """抽查计划: who inspects what, how many by credit level, and when."""

    __tablename__ = "inspection_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    lead_department_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    # Scope of the object pool (None = any)
    service_item_id: Mapped[int | None] = mapped_column(ForeignKey("service_item.id"))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    ratios: Mapped[dict] = mapped_column(JSON)  # {"A": "2", "B": "5", "C": "20", "D": "100"} %
    min_count: Mapped[int] = mapped_column(default=1)
    team_size: Mapped[int] = mapped_column(default=2)
    schedule_kind: Mapped[ScheduleKind] = mapped_column(enum_column(ScheduleKind))
    cron: Mapped[str | None] = mapped_column(String(60))
    dates: Mapped[list | None] = mapped_column(JSON)  # ["2026-12-01", …]
    window_working_days: Mapped[int] = mapped_column(default=20)
    publish_drawn_list: Mapped[bool] = mapped_column(default=True)
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus), default=PlanStatus.DRAFT,
                                               index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None]

    lead_department: Mapped[Organisation] = relationship()
    joint_departments: Mapped[list[Organisation]] = relationship(secondary=plan_department)
    items: Mapped[list[InspectionItem]] = relationship(secondary=plan_item)
    periods: Mapped[list["PlanPeriod"]] = relationship(back_populates="plan",
                                                       order_by="PlanPeriod.due_at")

    @property
    def departments(self) -> list[Organisation]:
        """Lead first, then the joint departments: one inspector from each per team."""
        return [self.lead_department] + [d for d in self.joint_departments
                                         if d.id != self.lead_department_id]


class PeriodStatus(enum.StrEnum):
    COMMITTED = "committed"  # seed hash published, waiting for its time
    DRAWN = "drawn"


class PlanPeriod(Base):
    """One scheduled draw of a plan. (plan, period_key) is unique, so each period draws
    exactly once however many schedulers run (RULES.md §3)."""

    __tablename__ = "inspection_period"
    __table_args__ = (UniqueConstraint("plan_id", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plan.id"), index=True)
    period_key: Mapped[str] = mapped_column(String(30))  # e.g. "2026-12-01T09:00"
    due_at: Mapped[datetime]
    status: Mapped[PeriodStatus] = mapped_column(enum_column(PeriodStatus),
                                                 default=PeriodStatus.COMMITTED, index=True)
    object_draw_id: Mapped[int] = mapped_column(ForeignKey("draw.id"))  # committed in advance
    team_draw_id: Mapped[int | None] = mapped_column(ForeignKey("draw.id"))
    pool_snapshot: Mapped[list | None] = mapped_column(JSON)  # agencies with level, per stratum
    # What the team assignment started from (inspectors by department, open-task load,
    # declared conflicts, team size) and the teams it gave, so anyone can recompute them.
    team_inputs: Mapped[dict | None] = mapped_column(JSON)
    drawn_at: Mapped[datetime | None]
    # A due period that could not be drawn (no eligible inspector, say): why, how often it
    # was tried, and when; the lead department is told once per distinct reason.
    draw_error: Mapped[str | None] = mapped_column(Text)
    draw_attempts: Mapped[int] = mapped_column(default=0)
    draw_attempted_at: Mapped[datetime | None]

    plan: Mapped[Plan] = relationship(back_populates="periods")


class TaskStatus(enum.StrEnum):
    ASSIGNED = "assigned"
    RESULT_ENTERED = "result_entered"
    PUBLISHED = "published"


class Task(Base):
    """抽查任务: one drawn agency in one period, with its team."""

    __tablename__ = "inspection_task"
    __table_args__ = (UniqueConstraint("period_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)  # e.g. JCRW-2026-000001
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plan.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("inspection_period.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    stratum: Mapped[str] = mapped_column(String(5))  # the credit level it was drawn under
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus),
                                               default=TaskStatus.ASSIGNED, index=True)
    window_ends_on: Mapped[date]  # inspection window end (working days from the draw)
    result_code: Mapped[str | None] = mapped_column(String(40))
    findings: Mapped[str | None] = mapped_column(Text)
    rectification_order: Mapped[str | None] = mapped_column(Text)  # 责令整改
    rectification_due_on: Mapped[date | None]
    follow_up: Mapped[str | None] = mapped_column(Text)
    followed_up_at: Mapped[datetime | None]
    rectification_flagged_at: Mapped[datetime | None]  # deadline passed without follow-up
    inspected_on: Mapped[date | None]  # the inspection's end
    result_entered_at: Mapped[datetime | None]
    publish_due_on: Mapped[date | None]  # 20 working days after inspected_on
    published_at: Mapped[datetime | None]
    overdue_flagged_at: Mapped[datetime | None]
    credit_record_id: Mapped[int | None] = mapped_column(ForeignKey("credit_record.id"))

    plan: Mapped[Plan] = relationship()
    period: Mapped[PlanPeriod] = relationship()
    agency: Mapped[Agency] = relationship(lazy="joined")
    team: Mapped[list["TaskInspector"]] = relationship(back_populates="task",
                                                       order_by="TaskInspector.id")


class TaskInspector(Base):
    """A team member; a conflict declared after the draw replaces them by a recorded redraw
    (`replaced_at`, `replacement_draw_id`) and a new row."""

    __tablename__ = "inspection_task_inspector"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_task.id"), index=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("inspector_profile.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    replaced_at: Mapped[datetime | None]
    replacement_reason: Mapped[str | None] = mapped_column(Text)
    replacement_draw_id: Mapped[int | None] = mapped_column(ForeignKey("draw.id"))

    task: Mapped[Task] = relationship(back_populates="team")
    inspector: Mapped[InspectorProfile] = relationship(lazy="joined")


class TaskAttachment(Base):
    __tablename__ = "inspection_task_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_task.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80))
    original_name: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(40))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
