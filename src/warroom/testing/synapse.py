"""A real Synapse homeserver on 127.0.0.1, for the Matrix tests and the benchmark.

Synapse is installed from PyPI into its own virtualenv, cached under
`~/.cache/warroom-synapse/<version>` (or `$WARROOM_SYNAPSE_CACHE`) and reused between runs.
The homeserver listens on loopback only, keeps its data in SQLite, federates with nobody, asks
no key server, has presence on and rate limits raised far above any test's load. Users are
registered with the shared secret through the admin API, as `register_new_matrix_user` does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

VERSION = "1.163.2"
SERVER_NAME = "warroom.test"
_HIGH = {"per_second": 10_000, "burst_count": 100_000}


class SynapseUnavailable(Exception):
    """Synapse could not be installed or started here; the message says why."""


def cache_dir(version: str = VERSION) -> Path:
    base = os.environ.get("WARROOM_SYNAPSE_CACHE") or str(Path.home() / ".cache/warroom-synapse")
    return Path(base) / version


def install(version: str = VERSION, *, timeout: float = 900) -> Path:
    """The virtualenv's python, installing Synapse first if the cache lacks it. A marker file
    written last means a half-finished install is redone, not used."""
    venv = cache_dir(version)
    python = venv / "bin" / "python"
    if (venv / ".installed").exists() and python.exists():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"matrix-synapse=={version}"],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        last = detail.decode(errors="replace").strip().splitlines()[-1:] or [str(exc)]
        raise SynapseUnavailable(f"cannot install matrix-synapse=={version}: {last[0]}") from None
    (venv / ".installed").touch()
    return python


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def homeserver_config(
    directory: Path, *, port: int, secret: str, database: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A loopback-only homeserver: client API on 127.0.0.1:`port`, SQLite (or `database`),
    no federation."""
    sqlite = {"name": "sqlite3", "args": {"database": str(directory / "homeserver.db")}}
    return {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(directory / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": database or sqlite,
        "log_config": str(directory / "log.yaml"),
        "media_store_path": str(directory / "media"),
        "signing_key_path": str(directory / "signing.key"),
        "registration_shared_secret": secret,
        "macaroon_secret_key": secrets.token_hex(16),
        "form_secret": secrets.token_hex(16),
        "report_stats": False,
        "enable_metrics": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "presence": {"enabled": True},
        "url_preview_enabled": False,
        "rc_message": _HIGH,
        "rc_registration": _HIGH,
        "rc_login": {"address": _HIGH, "account": _HIGH, "failed_attempts": _HIGH},
        "rc_joins": {"local": _HIGH, "remote": _HIGH},
        "rc_joins_per_room": _HIGH,
        "rc_invites": {"per_room": _HIGH, "per_user": _HIGH, "per_issuer": _HIGH},
        "rc_admin_redaction": _HIGH,
        "rc_3pid_validation": _HIGH,
        "rc_presence": {"per_user": _HIGH},
        "rc_room_creation": _HIGH,
    }


_LOG_CONFIG = """\
version: 1
formatters:
  plain: {format: '%(asctime)s %(name)s %(levelname)s %(message)s'}
handlers:
  file: {class: logging.FileHandler, formatter: plain, filename: LOGFILE}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
"""


@dataclass
class Account:
    user_id: str
    access_token: str
    device_id: str
    password: str


@dataclass
class Synapse:
    """One running homeserver. `url` is its client API; `register` makes accounts."""

    directory: Path
    python: Path
    port: int = 0
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    process: subprocess.Popen[bytes] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    database: dict[str, Any] | None = None  # Synapse's `database:` section; default SQLite

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def server_name(self) -> str:
        return SERVER_NAME

    def start(self, *, timeout: float = 90) -> None:
        began = time.monotonic()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        config = homeserver_config(
            self.directory, port=self.port, secret=self.secret, database=self.database
        )
        path = self.directory / "homeserver.yaml"
        path.write_text(json.dumps(config, indent=2))  # JSON is YAML
        log_file = self.directory / "homeserver.log"
        (self.directory / "log.yaml").write_text(_LOG_CONFIG.replace("LOGFILE", str(log_file)))
        import httpx  # here: CI installs Synapse with the system Python, before the venv exists

        base = [str(self.python), "-m", "synapse.app.homeserver", "-c", str(path)]
        env = {**os.environ, "SYNAPSE_ASYNC_IO_REACTOR": "0"}
        try:
            subprocess.run(
                [*base, "--generate-keys"], check=True, capture_output=True, timeout=120, env=env
            )
        except (OSError, subprocess.SubprocessError) as exc:
            detail = (getattr(exc, "stderr", b"") or b"").decode(errors="replace")
            raise SynapseUnavailable(f"synapse --generate-keys failed: {detail[-500:]}") from None
        with (self.directory / "stdout.log").open("wb") as out:
            self.process = subprocess.Popen(
                base, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = (self.directory / "stdout.log").read_text(errors="replace")[-1500:]
                raise SynapseUnavailable(f"synapse exited with {self.process.returncode}: {tail}")
            try:
                if httpx.get(f"{self.url}/_matrix/client/versions", timeout=2).status_code == 200:
                    self.timings["start_s"] = time.monotonic() - began
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SynapseUnavailable(f"synapse did not answer on {self.url} within {timeout:.0f} s")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def register(self, localpart: str, *, admin: bool = False) -> Account:
        """A new account (or a new login of an existing one), via the shared secret."""
        import httpx

        password = f"pw-{localpart}-{self.secret[:8]}"
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        nonce = httpx.get(endpoint, timeout=10).json()["nonce"]
        mac = hmac.new(self.secret.encode(), digestmod=hashlib.sha1)
        for part in (nonce, localpart, password, "admin" if admin else "notadmin"):
            mac.update(part.encode())
            if part in (nonce, localpart, password):
                mac.update(b"\x00")
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        response = httpx.post(endpoint, json=body, timeout=30)
        if response.status_code == 400 and "M_USER_IN_USE" in response.text:
            return self.login(localpart, password)
        response.raise_for_status()
        data = response.json()
        return Account(data["user_id"], data["access_token"], data["device_id"], password)

    def login(self, localpart: str, password: str) -> Account:
        import httpx

        response = httpx.post(
            f"{self.url}/_matrix/client/v3/login",
            json={
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": localpart},
                "password": password,
            },
            timeout=30,
        )
        response.raise_for_status()
        data = response.json()
        return Account(data["user_id"], data["access_token"], data["device_id"], password)

    def __enter__(self) -> Synapse:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":  # `python3 src/warroom/testing/synapse.py`: install (CI does, first)
    began = time.monotonic()
    print(f"{install()} ready in {time.monotonic() - began:.1f} s")
