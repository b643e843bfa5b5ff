"""`release`, `promote` and `registry`: releases and the model registry's commands."""

import argparse
import logging
from typing import TYPE_CHECKING

from ..errors import RegistryOutOfStep

LOGGER = logging.getLogger(__name__)

if TYPE_CHECKING:
    from .registry import Registry
    from .tags import Version


def _registry(args: argparse.Namespace) -> "Registry":
    from .registry import Registry

    return Registry()


def _release_version(args: argparse.Namespace) -> "Version":
    from .steps import release_version

    return release_version(_registry(args), args.tag)


def _release_verify(args: argparse.Namespace) -> None:
    from .steps import verify

    verify(_registry(args), args.tag, args.default_branch)


def _release_pull(args: argparse.Namespace) -> None:
    from .steps import pull

    pull(_registry(args), _release_version(args))


def _release_gate(args: argparse.Namespace) -> None:
    from .steps import check_gate, require_gate

    version = _release_version(args)
    require_gate(check_gate(_registry(args), version, args.stage), version)


def _release_bundle(args: argparse.Namespace) -> None:
    from .card import build_bundle
    from .steps import check_gate

    registry, version = _registry(args), _release_version(args)
    build_bundle(registry, version, check_gate(registry, version, args.stage), args.output_dir)


def _release_publish(args: argparse.Namespace) -> None:
    from .card import bundle_dir
    from .publish import publish

    version = _release_version(args)
    publish(version, args.bundle_dir or bundle_dir(version))


def _release_assign(args: argparse.Namespace) -> None:
    version = _release_version(args)
    LOGGER.info(_registry(args).assign(version.version, args.stage, once=True).message)


def _release_propose(args: argparse.Namespace) -> None:
    from ..params import load_params
    from .versions import propose_and_tag

    propose_and_tag(_registry(args), load_params(), create=args.create)


def _release_create(args: argparse.Namespace) -> None:
    registry = _registry(args)
    outcome = registry.create_version(args.version, args.rev, args.message, not args.no_push)
    LOGGER.info(outcome.message)


def _promote(args: argparse.Namespace) -> None:
    outcome = _registry(args).assign(args.version, args.stage, args.message, not args.no_push)
    LOGGER.info(outcome.message)


def _registry_show(args: argparse.Namespace) -> None:
    import json

    from .views import show

    state = show(_registry(args))
    if args.json:
        print(json.dumps(state, indent=2))
        return
    print(f"{state['model']}: latest {state['latest'] or '-'}")
    for stage, version in state["stages"].items():
        print(f"  {stage}: {version or '-'}")


def _registry_history(args: argparse.Namespace) -> None:
    import json

    from .views import history

    rows = history(_registry(args))
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        stage = f" {row['stage']}" if row["stage"] else ""
        when, version, commit = row["when"], row["version"], row["commit"][:7]
        why = f"  {row['why']}" if row["why"] else ""
        print(f"{when}  {row['event']}{stage}  {version}  {commit}  by {row['by']}{why}")


def _registry_sync(args: argparse.Namespace) -> None:
    registry = _registry(args)
    only_here = registry.sync(prune=args.prune)
    if only_here and not args.prune:
        raise RegistryOutOfStep(
            f"{len(only_here)} registry tags are here but not on {registry.remote}: "
            f"{', '.join(only_here)}",
            f"push them (`git push {registry.remote} {' '.join(only_here)}`) or drop them "
            "(`registry sync --prune`)",
        )
    dropped = f"; dropped {', '.join(only_here)}, not on {registry.remote}" if only_here else ""
    LOGGER.info(
        f"registry tags match {registry.remote} (git ls-remote): "
        f"{len(registry.versions())} versions{dropped}"
    )


def _registry_fetch(args: argparse.Namespace) -> None:
    import json

    from ..edge.dvc import use_credentials
    from .fetch import fetch

    use_credentials()  # secrets that arrive as text become files for DVC
    record = fetch(_registry(args), args.output_dir, args.stage, args.version, not args.no_refresh)
    print(json.dumps(record, indent=2))


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    release = commands.add_parser("release", help="release a version: verify, gate, bundle...")
    steps = release.add_subparsers(dest="release_command", required=True)
    for name, handler, text in [
        ("verify", _release_verify, "check the tag: annotated, on the default branch"),
        ("pull", _release_pull, "dvc pull the model, its metadata and profile at the tag"),
        ("gate", _release_gate, "exit 1 unless the version passes the gate and beats production"),
        ("bundle", _release_bundle, "write the release bundle with its model card"),
        ("publish", _release_publish, "create the GitHub Release with the bundle (gh)"),
        ("assign", _release_assign, "assign the stage once (re-runs never move it back)"),
    ]:
        step = steps.add_parser(name, help=text)
        step.add_argument("--tag", required=True, help="the version tag, e.g. <model>@v1.2.0")
        step.set_defaults(handler=handler)
        if name == "verify":
            step.add_argument(
                "--default-branch", default="main", help="the branch a release must be on"
            )
        if name in ("gate", "bundle", "assign"):
            step.add_argument("--stage", default="production", help="the stage it goes to")
        if name == "bundle":
            step.add_argument("--output-dir", help="default: release/<model>-<version>")
        if name == "publish":
            step.add_argument("--bundle-dir", help="default: release/<model>-<version>")
    propose = steps.add_parser(
        "propose", help="the next version when the model changed since the latest release"
    )
    propose.add_argument(
        "--create",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="create and push the tag (default: when REPO_TOKEN is set)",
    )
    propose.set_defaults(handler=_release_propose)
    create = steps.add_parser("create", help="tag a commit as a version and push the tag")
    create.add_argument("--version", required=True, help="e.g. v1.2.0")
    create.add_argument("--rev", default="HEAD", help="the commit to register (default: HEAD)")
    create.add_argument("--message", default="", help="the version tag's message")
    create.add_argument("--no-push", action="store_true", help="only create the local tag")
    create.set_defaults(handler=_release_create)

    _register_promote(commands)
    _register_registry(commands)


def _register_promote(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    promote = commands.add_parser("promote", help="assign a stage to a version (rollback too)")
    promote.add_argument("--version", required=True, help="e.g. v1.2.0")
    promote.add_argument("--stage", default="production", help="the stage to assign")
    promote.add_argument("--message", default="", help="why, recorded in the stage tag")
    promote.add_argument("--no-push", action="store_true", help="only create the local tags")
    promote.set_defaults(handler=_promote)


def _register_registry(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    registry = commands.add_parser("registry", help="inspect the model registry (git tags)")
    views = registry.add_subparsers(dest="registry_command", required=True)
    for name, handler, text in [
        ("show", _registry_show, "latest version and the version in each stage"),
        ("history", _registry_history, "every registration and stage change, oldest first"),
    ]:
        view = views.add_parser(name, help=text)
        view.add_argument("--json", action="store_true", help="print JSON instead of a table")
        view.set_defaults(handler=handler)
    sync = views.add_parser("sync", help="fetch origin's tags; compare with `git ls-remote`")
    sync.add_argument("--prune", action="store_true", help="drop tags origin does not have")
    sync.set_defaults(handler=_registry_sync)
    fetch = views.add_parser("fetch", help="download a version's model, profile and metrics")
    chosen = fetch.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--stage", help="the version in this stage, e.g. production")
    chosen.add_argument("--version", help="this version, e.g. v1.2.0")
    fetch.add_argument("--output-dir", required=True, help="where to write the files")
    fetch.add_argument("--no-refresh", action="store_true", help="do not fetch tags from origin")
    fetch.set_defaults(handler=_registry_fetch)
