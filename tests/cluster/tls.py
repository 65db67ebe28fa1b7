"""A throwaway certificate authority and the brokers' certificate, made with openssl for
one test run, and the passwords of the secured cluster: the directory
``deploy/local/cluster.sh`` reads as ``CLUSTER_SECURE_DIR``."""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SecureDir:
    path: Path
    keystore_password: str
    admin_password: str
    users: dict[str, str]  # SCRAM-SHA-512 user -> password, created with the storage

    @property
    def ca(self) -> Path:
        return self.path / "ca.pem"

    def secrets(self) -> list[str]:
        return [self.keystore_password, self.admin_password, *self.users.values()]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_secure_dir(path: Path, users: tuple[str, ...]) -> SecureDir:
    """CA (ca.pem), the brokers' key and certificate for 127.0.0.1 signed by it
    (broker.p12), random passwords (secure.env, mode 600)."""
    path.mkdir(parents=True, exist_ok=True)
    keystore_password = secrets.token_hex(16)
    admin_password = secrets.token_hex(16)
    passwords = {user: secrets.token_hex(16) for user in users}
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=newsflow test CA",
        cwd=path,
    )  # fmt: skip
    (path / "broker.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "keyUsage=digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth,clientAuth\n"
    )
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "broker.key", "-out", "broker.csr",
        "-subj", "/CN=127.0.0.1",
        cwd=path,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "broker.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-out", "broker.pem", "-extfile", "broker.ext",
        cwd=path,
    )  # fmt: skip
    _openssl(
        "pkcs12", "-export", "-in", "broker.pem", "-inkey", "broker.key", "-out", "broker.p12",
        "-name", "broker", "-passout", f"pass:{keystore_password}",
        cwd=path,
    )  # fmt: skip
    env = path / "secure.env"
    env.touch(mode=0o600)
    scram = " ".join(f"{u}:{p}" for u, p in passwords.items())
    env.write_text(
        f"KEYSTORE_PASSWORD={keystore_password}\n"
        f"ADMIN_PASSWORD={admin_password}\n"
        f'SCRAM_USERS="{scram}"\n'
    )
    return SecureDir(path, keystore_password, admin_password, passwords)
