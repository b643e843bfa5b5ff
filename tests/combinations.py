"""The answer sets the template tests bake, derived from cookiecutter.json: every value of
every option appears at least once (a covering set; the full product would be 180 bakes).

Combination i takes the i-th choice of every option (wrapping round the shorter lists), so
there are as many bakes as the longest list has choices, and the first is the defaults. Each
entry holds only the answers that differ from the defaults; its name lists them.
"""

import json
from pathlib import Path

CHOICES = {
    name: values
    for name, values in json.loads(
        (Path(__file__).resolve().parents[1] / "cookiecutter.json").read_text()
    ).items()
    if isinstance(values, list)
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
