collect_ignore_glob = ["*.py"]  # learners' engines, imported by the tests, not tests themselves
