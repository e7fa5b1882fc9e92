"""Checking a user's own autograd engine: load it, run a battery of small graphs, judge
every gradient against the exact reference, and diagnose what is wrong."""

from diffcompare.check.battery import EngineReport, check_engine

__all__ = ["EngineReport", "check_engine"]
