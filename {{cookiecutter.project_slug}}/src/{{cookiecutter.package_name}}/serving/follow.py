"""GitOps follow mode: the service polls origin's stage tags and serves whatever version the
stage holds. A promotion or a rollback on origin is all it takes to change what production
serves; a version that fails to fetch or load is refused and the old one keeps serving."""

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from ..release.fetch import fetch
from ..release.registry import Registry
from .served import Served, Slot, load_served

LOGGER = logging.getLogger(__name__)


class Follower:
    """Polls every `interval` seconds in a daemon thread; `check()` is one poll."""

    def __init__(
        self,
        slot: Slot,
        registry: Registry,
        stage: str,
        models_dir: Path,
        interval: float,
        load: Callable[[Path, str], Served] = load_served,
    ) -> None:
        self.slot, self.registry, self.stage = slot, registry, stage
        self.models_dir, self.interval, self.load = models_dir, interval, load
        self.refused: dict[tuple[str, str], str] = {}  # (version, commit): why, tried once each
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="follow", daemon=True)

    def start(self) -> "Follower":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # the poll must go on whatever one attempt hit
                LOGGER.exception("follow: the poll of %s failed; serving goes on", self.stage)

    def check(self) -> str | None:
        """Swap in the stage's version if it changed; returns the version swapped in."""
        self.registry.fetch_tags()
        holder = self.registry.current(self.stage)
        served = self.slot.current.model
        if holder is None:
            LOGGER.error(
                "follow: no version is in %s on origin now; still serving %s",
                self.stage,
                served.version,
            )
            return None
        if (holder.version, holder.commit) == (served.version, served.commit):
            return None
        key = (holder.version, holder.commit)
        if key in self.refused:
            return None
        folder = self.models_dir / holder.version
        try:
            fetch(self.registry, folder, version=holder.version, refresh=False)
            candidate = self.load(folder, self.stage)
        except Exception as error:  # a broken pickle raises anything; none may stop serving
            self.refused[key] = str(error)
            LOGGER.error(
                "follow: REFUSED %s (now in %s on origin): %s; still serving %s",
                holder.version,
                self.stage,
                error,
                served.version,
            )
            return None
        previous = self.slot.swap(candidate)
        LOGGER.warning(
            "follow: %s moved: now serving %s (was %s)",
            self.stage,
            holder.version,
            previous.model.version,
        )
        return holder.version
