"""Pure domain of the interview service: commands, state, decide, evolve, rejections (no I/O)."""

from services.interview.domain.commands import Command, Stamp
from services.interview.domain.decide import decide
from services.interview.domain.rejections import Code, Rejection
from services.interview.domain.state import BrokenHistoryError, InterviewState, evolve, fold

__all__ = [
    "BrokenHistoryError",
    "Code",
    "Command",
    "InterviewState",
    "Rejection",
    "Stamp",
    "decide",
    "evolve",
    "fold",
]
