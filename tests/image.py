"""The generated Dockerfile built and run without a container engine or registry.

This machine has neither, so:
- the base image the Dockerfile names (`python:<version>-slim-bookworm`) is stood in for by a
  Debian bookworm bootstrapped here (debootstrap, from Debian's archive) with Debian's Python,
  the machine's CA certificates (package downloads go through its TLS proxy) and the tag the
  Dockerfile asks for;
- `podman build --isolation chroot` (buildah inside podman) builds the project's image from its
  Dockerfile as written, its RUN steps in a chroot;
- the image runs the way an engine would run it, minus the namespaces: its filesystem mounted
  read-only with a writable overlay on top, the image's user, environment, working directory,
  entrypoint and command (from `podman image inspect`), in a chroot on the host's network.
What stays untested: the real base image (another Python patch release, Debian's packages at
another date) and an engine's isolation (namespaces, cgroups, seccomp).
"""

import json
import os
import shlex
import shutil
import subprocess
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from github_in_a_box.tools import in_ci, require_tool

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cookiecutter-gitops-ml"
SUITE = "bookworm"  # the Dockerfile's base: python:<version>-slim-bookworm
BOOKWORM_PYTHON = "3.11"  # Debian's python3 in that release
DEBIAN_MIRROR = "http://deb.debian.org/debian"
MINBASE = f"localhost/debian-minbase:{SUITE}"
CA_CERTIFICATES = Path("/usr/local/share/ca-certificates")
STAND_IN = """\
FROM {minbase}
COPY certificates/ /usr/local/share/ca-certificates/
RUN apt-get update \\
    && apt-get install --yes --no-install-recommends python3 python3-venv python3-pip \\
       python-is-python3 ca-certificates \\
    && rm -rf /var/lib/apt/lists/* && update-ca-certificates
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt \\
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \\
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
"""


def podman(*args, check=True, timeout=1200):
    result = subprocess.run(
        [str(require_tool("podman")), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert not check or result.returncode == 0, (
        f"podman {' '.join(map(str, args))} failed ({result.returncode})\n"
        f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
    )
    return result


def require_root():
    """Mounting the image and chrooting into it need root (CI's machine runs the suite as root)."""
    if os.geteuid() == 0:
        return
    message = "building and running the image needs root (mount, chroot), as .ci/run has"
    if in_ci():
        pytest.fail(f"{message} (CI=true: a missing tool fails instead of skipping)")
    pytest.skip(message)


def stand_in_base(python_version, workdir):
    """Tag a bootstrapped bookworm with Debian's Python as the Dockerfile's base image."""
    require_root()
    assert python_version == BOOKWORM_PYTHON, (
        f"the stand-in carries bookworm's Python {BOOKWORM_PYTHON}, not {python_version}"
    )
    tag = f"docker.io/library/python:{python_version}-slim-bookworm"
    if podman("image", "exists", tag, check=False).returncode == 0:
        return tag
    if podman("image", "exists", MINBASE, check=False).returncode != 0:
        tarball = bootstrapped_tarball()
        podman("import", tarball, MINBASE)
    context = Path(workdir) / "stand-in"
    (context / "certificates").mkdir(parents=True)
    for certificate in CA_CERTIFICATES.glob("*.crt"):
        shutil.copy(certificate, context / "certificates")
    (context / "Dockerfile").write_text(STAND_IN.format(minbase=MINBASE))
    podman("build", "--isolation", "chroot", "--pull=never", "-t", tag, context)
    return tag


def bootstrapped_tarball():
    """A minimal Debian bookworm root filesystem as a tarball, made once per machine."""
    tarball = CACHE / f"debian-{SUITE}-minbase.tar"
    if tarball.is_file():
        return tarball
    CACHE.mkdir(parents=True, exist_ok=True)
    root = CACHE / f"debian-{SUITE}-rootfs"
    shutil.rmtree(root, ignore_errors=True)
    command = [require_tool("debootstrap"), "--variant=minbase", SUITE, root, DEBIAN_MIRROR]
    subprocess.run(list(map(str, command)), check=True, capture_output=True, timeout=900)
    partial = tarball.with_suffix(".partial")
    subprocess.run(["tar", "-C", str(root), "-cf", str(partial), "."], check=True)
    partial.rename(tarball)
    shutil.rmtree(root)
    return tarball


def build(project, tag):
    """`docker build .` in the project, by buildah, with no registry: the base must be local."""
    # Docker's image format, as `docker build` writes it: OCI's has no HEALTHCHECK.
    podman(
        *("build", "--isolation", "chroot", "--pull=never", "--format", "docker"),
        *("-t", tag, project),
        timeout=1800,
    )
    inspected = json.loads(podman("image", "inspect", tag).stdout)[0]
    # podman reports the health check beside the config, where docker has it inside.
    return {**inspected["Config"], "Healthcheck": inspected.get("Healthcheck")}


@dataclass
class Running:
    """The image's command running in its filesystem at `root`."""

    process: subprocess.Popen
    root: Path
    config: dict

    def run(self, command):
        """A one-off command in the running image's filesystem, as its user (`docker exec`)."""
        return subprocess.run(
            chroot_command(self.root, self.config, command),
            capture_output=True,
            text=True,
            check=False,
        )


@contextmanager
def running(tag, config, command, workdir, shared=()):
    """Run `command` (the image's entrypoint is prepended) as the image runs it. `shared` host
    folders appear at the same path inside (the project's DVC remote and origin, which an
    engine's container would reach over the network)."""
    require_root()
    lower = podman("image", "mount", tag).stdout.strip()
    root, upper, work = (Path(workdir) / name for name in ("root", "upper", "work"))
    for folder in (root, upper, work):
        folder.mkdir(parents=True)
    mounts = [root]
    try:
        layers = f"lowerdir={lower},upperdir={upper},workdir={work}"
        mount("-t", "overlay", "overlay", "-o", layers, root)
        for source in ["/proc", "/dev", *shared]:
            target = root / str(source).lstrip("/")
            target.mkdir(parents=True, exist_ok=True)
            mount("--bind", source, target)
            mounts.append(target)
        process = subprocess.Popen(
            chroot_command(root, config, [*config["Entrypoint"], *command]),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield Running(process, root, config)
        finally:
            process.terminate()
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
            process.kill()
    finally:
        for target in reversed(mounts):
            subprocess.run(["umount", "--lazy", str(target)], check=False)
        podman("image", "unmount", tag, check=False)


def chroot_command(root, config, command):
    """The image's user, environment (only), and working directory around `command`."""
    environment = ["env", "-i", *config.get("Env", [])]
    words = " ".join(shlex.quote(str(part)) for part in command)
    inner = f"cd {shlex.quote(config.get('WorkingDir') or '/')} && exec {words}"
    return ["chroot", f"--userspec={config['User']}", str(root), *environment, "sh", "-c", inner]


def mount(*args):
    subprocess.run(["mount", *map(str, args)], check=True, capture_output=True)
