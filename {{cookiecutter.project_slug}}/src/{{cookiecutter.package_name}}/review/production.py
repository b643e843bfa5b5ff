"""The production model's metrics for the gate and the pull-request report. Kept apart from the
report so that `gate`, which reads JSON only, starts without the numeric stack."""

from ..errors import ProjectError
from ..pipeline.gate import ProductionMetrics


def production_for_report() -> tuple[ProductionMetrics | None, list[str]]:
    """(ProductionMetrics or None, notes): the production version's committed metrics through
    the registry; a registry that cannot be read is said on top, never guessed."""
    from ..release.baseline import production_metrics
    from ..release.registry import Registry

    try:
        registry = Registry()
        registry.fetch_tags()
        return production_metrics(registry), []
    except ProjectError as error:
        note = (
            f"⚠️ The production model's metrics could not be read ({error.problem}): the gate "
            "below compares with the threshold only."
        )
        return None, [note]
