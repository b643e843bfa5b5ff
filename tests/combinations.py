"""The answer sets the template tests bake, derived from cookiecutter.json: every value of
every option appears at least once (a covering set; the full product would be 540 bakes),
and so does each kind of value of the free-text answers in FREE_TEXT_CHOICES.

Combination i takes the i-th choice of every option (wrapping round the shorter lists), so
there are as many bakes as the longest list has choices, and the first is the defaults. Each
entry holds only the answers that differ from the defaults; its name lists them.
"""

import json
from pathlib import Path

DEFAULTS = json.loads((Path(__file__).resolve().parents[1] / "cookiecutter.json").read_text())
# Free-text answers the workflows render differently by kind, with one value of each kind (the
# default first): training_runner's GitHub-hosted label, a larger runner's name, a self-hosted
# runner's label list. The lint gate runs on every bake, so on each of these.
FREE_TEXT_CHOICES = {
    "training_runner": [
        DEFAULTS["training_runner"],
        "ubuntu-24.04-16core",
        "self-hosted,linux,x64,gpu",
    ],
}
CHOICES = {
    **{name: values for name, values in DEFAULTS.items() if isinstance(values, list)},
    **FREE_TEXT_CHOICES,
}


def covering_set(choices):
    combinations = {}
    for index in range(max(len(values) for values in choices.values())):
        answers = {
            name: values[index % len(values)]
            for name, values in choices.items()
            if index % len(values)
        }
        name = "-".join(
            str(value).lower().replace("_classification", "") for value in answers.values()
        )
        combinations[name or "default"] = answers
    return combinations


COMBINATIONS = covering_set(CHOICES)
