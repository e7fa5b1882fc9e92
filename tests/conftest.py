import os

from hypothesis import HealthCheck, settings

# Property tests get a fixed, modest budget so that the suite stays fast on CI's 2 cores;
# DIFFCOMPARE_HYPOTHESIS_EXAMPLES raises it for a longer local run.
settings.register_profile(
    "default",
    max_examples=int(os.environ.get("DIFFCOMPARE_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("default")
