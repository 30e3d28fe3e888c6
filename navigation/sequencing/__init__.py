"""Exam sequencing: the best order, rooms and times for every patient's steps (OR-Tools CP-SAT).

Pure domain code: plain dataclasses in, a `Plan` out; the clock, the walking-time function,
the time limit and the worker count are all passed in.
"""

from navigation.sequencing.checks import Violation, check_plan
from navigation.sequencing.greedy import insert_patient
from navigation.sequencing.model import (
    Closure,
    DayState,
    Mobility,
    Patient,
    Placement,
    Plan,
    Room,
    Rule,
    SolverSettings,
    Task,
    Unplaced,
    WalkingTime,
    Weights,
)
from navigation.sequencing.objective import plan_cost
from navigation.sequencing.planner import (
    ArrivalResult,
    Event,
    ImproveResult,
    PatientLeft,
    ReplanResult,
    RoomClosed,
    StepOverran,
    improve,
    plan_arrival,
    replan,
)
from navigation.sequencing.walking import StraightLineWalking

__all__ = [
    "ArrivalResult",
    "Closure",
    "DayState",
    "Event",
    "ImproveResult",
    "Mobility",
    "Patient",
    "PatientLeft",
    "Placement",
    "Plan",
    "ReplanResult",
    "Room",
    "RoomClosed",
    "Rule",
    "SolverSettings",
    "StepOverran",
    "StraightLineWalking",
    "Task",
    "Unplaced",
    "Violation",
    "WalkingTime",
    "Weights",
    "check_plan",
    "improve",
    "insert_patient",
    "plan_arrival",
    "plan_cost",
    "replan",
]
