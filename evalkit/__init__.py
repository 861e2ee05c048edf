"""Evaluation kit (development only, not shipped): scenario families, baselines and the harness
that scores ``correlate_alerts`` on worlds it was not tuned on."""
