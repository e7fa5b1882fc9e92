"""Hostile: importing changes the working directory to /. The engine itself is correct.
Outcome: PASS, and the engines checked after it are still found by their relative paths.
"""
import os

from _correct import Value


os.chdir("/")
