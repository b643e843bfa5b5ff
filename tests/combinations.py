"""The answer sets the template tests bake: every value of every option that changes files
appears at least once (a covering set; the full product would be 180 bakes).

Each entry holds only the answers that differ from cookiecutter.json's defaults.
"""

COMBINATIONS = {
    "default": {},
    "multiclass-s3-apache": {
        "task": "multiclass_classification",
        "dvc_remote": "s3",
        "license": "Apache-2.0",
        "python_version": "3.12",
    },
    "regression-gs-bsd": {
        "task": "regression",
        "dvc_remote": "gs",
        "license": "BSD-3-Clause",
        "python_version": "3.13",
    },
    "binary-azure-proprietary": {"dvc_remote": "azure", "license": "Proprietary"},
    "regression-ssh-mit": {"task": "regression", "dvc_remote": "ssh"},
}
