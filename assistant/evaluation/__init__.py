"""Answer-quality evaluation: a question set through the assistant (and a naive baseline), scored.

    dataset ─ runner ─ Assistant.ask / baseline ─ metrics (+ judge) ─ report, report_html / compare

`assistant eval` calls `runner.run`; every other module is a pure step of it.
"""
