import os

from hypothesis import HealthCheck, settings

# Property tests get a fixed, modest budget so that the suite stays fast on CI's 2 cores,
# and a fixed seed (derandomize) so that a run of the same code on the same Hypothesis
# tests the same examples: main stays green or red, never by luck.
#   DIFFCOMPARE_HYPOTHESIS_EXAMPLES=5000   a longer run
#   DIFFCOMPARE_HYPOTHESIS_RANDOM=1        new random examples on every run
settings.register_profile(
    "default",
    max_examples=int(os.environ.get("DIFFCOMPARE_HYPOTHESIS_EXAMPLES", "60")),
    derandomize=not os.environ.get("DIFFCOMPARE_HYPOTHESIS_RANDOM"),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("default")
