"""What the model predicts, and the metrics each task reports with the direction that is
better. The generation hook keeps the same table (a template test checks they agree)."""

TASKS = ("binary_classification", "multiclass_classification", "regression")
CLASSIFICATION_TASKS = ("binary_classification", "multiclass_classification")

# {task: {metric: higher_is_better}}
METRICS = {
    "binary_classification": {
        "accuracy": True,
        "balanced_accuracy": True,
        "f1": True,
        "precision": True,
        "recall": True,
        "roc_auc": True,
        "log_loss": False,
    },
    "multiclass_classification": {
        "accuracy": True,
        "balanced_accuracy": True,
        "f1_macro": True,
        "precision_macro": True,
        "recall_macro": True,
        "roc_auc_ovr": True,
        "log_loss": False,
    },
    "regression": {"rmse": False, "mae": False, "r2": True},
}
HIGHER_IS_BETTER = {name: better for task in METRICS.values() for name, better in task.items()}
