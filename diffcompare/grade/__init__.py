"""Grading: one verdict per student answer (``judge``), and the ``grade`` command."""

from diffcompare.grade.judge import VERDICTS, Answer, Grade, judge

__all__ = ["VERDICTS", "Answer", "Grade", "judge"]
