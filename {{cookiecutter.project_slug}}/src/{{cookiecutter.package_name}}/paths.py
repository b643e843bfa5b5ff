"""Where things are: every path the stages, commands and workflows share, relative to the
project's root. Standard library only (the bootstrap imports it before dependencies exist)."""

from pathlib import Path

PARAMS = Path("params.yaml")
SCHEMA = Path("schema.yaml")
DVC_YAML = Path("dvc.yaml")
DVC_LOCK = Path("dvc.lock")
GTO_CONFIG = Path(".gto")
RAW_DATA = Path("data/raw")
DEMO_DATA = RAW_DATA / "demo.csv"
VALIDATED = Path("data/validated.parquet")
VALIDATION_REPORT = Path("reports/validation.json")
TRAIN_SPLIT = Path("data/split/train.parquet")
TEST_SPLIT = Path("data/split/test.parquet")
MODEL = Path("models/model.joblib")
MODEL_METADATA = Path("models/model.json")
PROFILE = Path("models/profile.json")
METRICS = Path("metrics.json")
PLOTS = Path("plots")
# The evaluate stage's predictions on the test split, and its metric per category of a feature.
TEST_PREDICTIONS = Path("data/evaluation/test_predictions.parquet")
SLICES = Path("reports/slices.json")
NOTES = Path("reports/notes.md")
PR_REPORT = Path("reports/pr.md")
LATENCY_REPORT = Path("reports/latency.json")  # `latency`: the service's figures (and .md)
OPS_REPORT = Path("reports/ops.json")  # `ops report`: with ops.md and ops.html beside it
RELEASE_BUNDLES = Path("release")
MODEL_CARD_NOTEBOOK = Path("notebooks/model_card.ipynb")
CONSTRAINTS = Path("constraints.txt")
DVC_REMOTE = "storage"  # the name `dvc remote add` gives the remote chosen at generation
CRUFT_STATE = Path(".cruft.json")  # the template this project came from (cruft's format)
TEMPLATE_UPDATE_BODY = Path("reports/template-update.md")
