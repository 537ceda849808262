"""Where the gateway's secrets come from: local files by default, Vault where configured.

One small seam for every secret the gateway holds (JWT signing keys, the
audit checkpoint key, API secrets)::

    provider = secrets_from_env()                 # files, or Vault if VAULT_ADDR/VAULT_TOKEN
    key = provider.get_or_create_ed25519_key("jwt-ed25519")
    token_secret = provider.get_or_create_secret("session-hmac")   # 32 random bytes
    api_secret = provider.get_secret("venue-api-key")              # must exist
    signer = checkpoint_signer(provider)          # for audit.CheckpointPolicy

:class:`FileSecretsProvider` (embedded default) keeps each secret in its own
file under a 0700 directory, created 0600 with O_EXCL on first use (so two
processes never overwrite each other's key), and refuses files that group or
others can read. ``GATEWAY_SECRET_<NAME>`` environment variables override
files (name upper-cased, ``-`` and ``.`` as ``_``). Ed25519 keys are PKCS#8
PEM files ``<name>.pem`` with the public half in ``<name>.pub.pem``.

:class:`VaultSecretsProvider` (hvac) reads and writes KV v2 entries
``<prefix><name>`` as ``{"value": ..., "encoding": "utf-8" | "base64"}``,
creating missing ones with check-and-set 0 so concurrent starters agree on
one value. :class:`VaultTransitSigner` signs checkpoints with a Vault transit
Ed25519 key that never leaves Vault. Values are cached after the first read:
Vault costs about a millisecond a call and must stay off the order path.

Rotating an Ed25519 key (``rotate_ed25519_key``, ``gateway keys rotate``)
keeps the public half of the key it replaces, as ``<name>.retired.<key id>``:
records signed years ago must still verify after the key that signed them
is gone. A transit key keeps every version's public key in Vault itself.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import secrets as random_source
import stat
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.checkpoint import Ed25519Signer, Signer, key_id_of

__all__ = [
    "FileSecretsProvider",
    "InsecureSecretError",
    "SecretNotFoundError",
    "SecretsProvider",
    "VaultSecretsProvider",
    "VaultTransitSigner",
    "checkpoint_public_keys",
    "checkpoint_signer",
    "secrets_from_env",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
CHECKPOINT_KEY = "audit-checkpoint-ed25519"
RETIRED = ".retired."
"""Infix of the name a rotated key's public half is kept under: ``<name>.retired.<key id>``."""


class SecretNotFoundError(KeyError):
    """No secret of that name exists (and the caller did not ask to create one)."""


class SecretsUnavailable(RuntimeError):
    """The secrets provider could not be reached (Vault down, network cut): fail closed, retry later."""


@contextlib.contextmanager
def _reaching_vault(where: str) -> Iterator[None]:
    """Turn a transport failure or a Vault 5xx into :class:`SecretsUnavailable`."""
    import hvac.exceptions
    import requests

    try:
        yield
    except (
        requests.exceptions.RequestException,
        hvac.exceptions.VaultDown,
        hvac.exceptions.InternalServerError,
        hvac.exceptions.BadGateway,
    ) as exc:
        raise SecretsUnavailable(f"Vault unreachable for {where}: {type(exc).__name__}") from exc


class InsecureSecretError(PermissionError):
    """A secret file is readable by group or others; refuse rather than trust it."""


class SecretsProvider(Protocol):
    def get_secret(self, name: str) -> bytes:
        """The secret's bytes; raises SecretNotFoundError."""
        ...

    def get_or_create_secret(self, name: str, length: int = 32) -> bytes:
        """The secret, or ``length`` fresh random bytes stored under ``name`` on first use."""
        ...

    def get_or_create_ed25519_key(self, name: str) -> Ed25519PrivateKey:
        """An Ed25519 private key, generated and stored on first use."""
        ...

    def rotate_ed25519_key(self, name: str) -> Ed25519PrivateKey:
        """Replace the key with a new one, keeping the old public half (see
        :meth:`retired_public_keys`); the new key is returned."""
        ...

    def retired_public_keys(self, name: str) -> list[Ed25519PublicKey]:
        """The public halves of the keys ``name`` held before each rotation."""
        ...


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"secret names are [A-Za-z0-9._-], at most 128: {name!r}")
    return name


def _env_name(name: str) -> str:
    return "GATEWAY_SECRET_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _load_public(pem: bytes, where: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{where} is not an Ed25519 public key")
    return key


def _load_ed25519(pem: bytes, where: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{where} is not an Ed25519 private key")
    return key


def _write_exclusive(path: Path, value: bytes) -> None:
    """Create ``path`` 0600 with ``value``, fsynced; FileExistsError if it is already there."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(value)
        handle.flush()
        os.fsync(handle.fileno())


class FileSecretsProvider:
    """Secrets as 0600 files in a 0700 directory; environment variables take precedence."""

    def __init__(self, directory: Path | str, env: Mapping[str, str] | None = None) -> None:
        self.directory = Path(directory)
        self._env = os.environ if env is None else env
        self._lock = threading.Lock()

    def get_secret(self, name: str) -> bytes:
        _check_name(name)
        from_env = self._env.get(_env_name(name))
        if from_env is not None:
            return from_env.encode("utf-8")
        path = self.directory / name
        if not path.exists():
            raise SecretNotFoundError(name)
        return self._read(path)

    def get_or_create_secret(self, name: str, length: int = 32) -> bytes:
        try:
            return self.get_secret(name)
        except SecretNotFoundError:
            self._create(self.directory / name, random_source.token_bytes(length))
            return self.get_secret(name)

    def get_or_create_ed25519_key(self, name: str) -> Ed25519PrivateKey:
        _check_name(name)
        from_env = self._env.get(_env_name(name))
        if from_env is not None:
            return _load_ed25519(from_env.encode("utf-8"), _env_name(name))
        path = self.directory / f"{name}.pem"
        if not path.exists():
            key = Ed25519PrivateKey.generate()
            if self._create(path, _pem(key)):
                public = self.directory / f"{name}.pub.pem"
                public.write_bytes(_public_pem(key.public_key()))
        return _load_ed25519(self._read(path), str(path))

    def rotate_ed25519_key(self, name: str) -> Ed25519PrivateKey:
        if self._env.get(_env_name(name)) is not None:
            raise ValueError(f"{name} comes from {_env_name(name)}: rotate it where that is set")
        old = self.get_or_create_ed25519_key(name).public_key()
        retired = self.directory / f"{name}{RETIRED}{key_id_of(old)}.pub.pem"
        self._create(retired, _public_pem(old))  # kept before the key goes: a crash loses nothing
        new = Ed25519PrivateKey.generate()
        self._replace(self.directory / f"{name}.pem", _pem(new))
        (self.directory / f"{name}.pub.pem").write_bytes(_public_pem(new.public_key()))
        return new

    def retired_public_keys(self, name: str) -> list[Ed25519PublicKey]:
        _check_name(name)
        found = sorted(self.directory.glob(f"{name}{RETIRED}*.pub.pem"))
        return [_load_public(self._read(path), str(path)) for path in found]

    def _replace(self, path: Path, value: bytes) -> None:
        """Write ``value`` over ``path`` atomically (0600, fsynced, then renamed over it)."""
        staged = path.with_name(path.name + ".new")
        with self._lock:
            staged.unlink(missing_ok=True)
            _write_exclusive(staged, value)
            os.replace(staged, path)
            directory = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)

    def _read(self, path: Path) -> bytes:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise InsecureSecretError(f"{path} is readable by others (mode {oct(mode & 0o777)})")
        return path.read_bytes()

    def _create(self, path: Path, value: bytes) -> bool:
        """Write a new secret file 0600; False if another process created it first."""
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                _write_exclusive(path, value)
            except FileExistsError:
                return False
            return True


class VaultSecretsProvider:
    """Secrets in a Vault (or OpenBao) KV v2 engine, cached after the first read."""

    def __init__(self, client: Any, mount: str = "secret", prefix: str = "gateway/") -> None:
        self.client = client
        self.mount = mount
        self.prefix = prefix
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get_secret(self, name: str) -> bytes:
        _check_name(name)
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        import hvac.exceptions

        try:
            with _reaching_vault(f"secret {name}"):
                response = self.client.secrets.kv.v2.read_secret_version(
                    path=self.prefix + name, mount_point=self.mount, raise_on_deleted_version=True
                )
        except hvac.exceptions.InvalidPath as exc:
            raise SecretNotFoundError(name) from exc
        value = self._decode(response["data"]["data"], name)
        self._cache[name] = value
        return value

    def get_or_create_secret(self, name: str, length: int = 32) -> bytes:
        return self._get_or_create(name, lambda: random_source.token_bytes(length))

    def get_or_create_ed25519_key(self, name: str) -> Ed25519PrivateKey:
        pem = self._get_or_create(name, lambda: _pem(Ed25519PrivateKey.generate()))
        return _load_ed25519(pem, f"vault {self.mount}/{self.prefix}{name}")

    def rotate_ed25519_key(self, name: str) -> Ed25519PrivateKey:
        import hvac.exceptions

        old = self.get_or_create_ed25519_key(name).public_key()
        new = Ed25519PrivateKey.generate()
        with self._lock:
            retired = f"{self.prefix}{name}{RETIRED}{key_id_of(old)}"
            with contextlib.suppress(hvac.exceptions.InvalidRequest), _reaching_vault(f"secret {name}"):
                self.client.secrets.kv.v2.create_or_update_secret(  # kept before the key goes
                    path=retired, secret=self._encode(_public_pem(old)), cas=0, mount_point=self.mount
                )
            with _reaching_vault(f"secret {name}"):
                self.client.secrets.kv.v2.create_or_update_secret(
                    path=self.prefix + name, secret=self._encode(_pem(new)), mount_point=self.mount
                )
            self._cache.pop(name, None)
        return new

    def retired_public_keys(self, name: str) -> list[Ed25519PublicKey]:
        import hvac.exceptions

        _check_name(name)
        folder, _, stem = self.prefix.rpartition("/")
        try:
            with _reaching_vault(f"retired keys of {name}"):
                listed = self.client.secrets.kv.v2.list_secrets(path=folder, mount_point=self.mount)
        except hvac.exceptions.InvalidPath:  # nothing stored under the prefix yet
            return []
        wanted = f"{stem}{name}{RETIRED}"
        names = sorted(key[len(stem) :] for key in listed["data"]["keys"] if key.startswith(wanted))
        return [_load_public(self.get_secret(retired), f"vault {retired}") for retired in names]

    def _get_or_create(self, name: str, make: Callable[[], bytes]) -> bytes:
        with self._lock:
            try:
                return self.get_secret(name)
            except SecretNotFoundError:
                pass
            import hvac.exceptions

            value: bytes = make()
            # check-and-set 0: if someone else created it meanwhile, theirs wins and we read it
            with contextlib.suppress(hvac.exceptions.InvalidRequest), _reaching_vault(f"secret {name}"):
                self.client.secrets.kv.v2.create_or_update_secret(
                    path=self.prefix + name, secret=self._encode(value), cas=0, mount_point=self.mount
                )
            return self.get_secret(name)

    @staticmethod
    def _encode(value: bytes) -> dict[str, str]:
        try:
            return {"value": value.decode("utf-8"), "encoding": "utf-8"}
        except UnicodeDecodeError:
            return {"value": base64.b64encode(value).decode("ascii"), "encoding": "base64"}

    @staticmethod
    def _decode(data: Mapping[str, Any], name: str) -> bytes:
        value = data.get("value")
        if not isinstance(value, str):
            raise SecretNotFoundError(f"{name} has no string 'value' field")
        if data.get("encoding") == "base64":
            return base64.b64decode(value)
        return value.encode("utf-8")


class VaultTransitSigner:
    """An audit checkpoint :class:`audit.checkpoint.Signer` whose Ed25519 key stays in Vault."""

    def __init__(self, client: Any, key_name: str = CHECKPOINT_KEY, mount: str = "transit") -> None:
        self.client = client
        self.key_name = _check_name(key_name)
        self.mount = mount
        import hvac.exceptions

        try:
            self.client.secrets.transit.read_key(name=key_name, mount_point=mount)
        except hvac.exceptions.InvalidPath:
            self.client.secrets.transit.create_key(name=key_name, key_type="ed25519", mount_point=mount)
        key = self.client.secrets.transit.read_key(name=key_name, mount_point=mount)["data"]
        self._version = int(key["latest_version"])
        raw = base64.b64decode(key["keys"][str(self._version)]["public_key"])
        self._public = Ed25519PublicKey.from_public_bytes(raw)
        self._key_id = key_id_of(self._public)

    @property
    def key_id(self) -> str:
        return self._key_id

    def public_key(self) -> Ed25519PublicKey:
        return self._public

    def all_public_keys(self) -> list[Ed25519PublicKey]:
        """Every version's public key, oldest first: Vault keeps them through rotations."""
        with _reaching_vault(f"transit key {self.key_name}"):
            key = self.client.secrets.transit.read_key(name=self.key_name, mount_point=self.mount)["data"]
        versions = sorted(key["keys"].items(), key=lambda item: int(item[0]))
        return [Ed25519PublicKey.from_public_bytes(base64.b64decode(v["public_key"])) for _, v in versions]

    def sign(self, message: bytes) -> bytes:
        response = self.client.secrets.transit.sign_data(
            name=self.key_name,
            hash_input=base64.b64encode(message).decode("ascii"),
            key_version=self._version,
            mount_point=self.mount,
        )
        signature: str = response["data"]["signature"]  # "vault:v<N>:<base64>"
        return base64.b64decode(signature.rsplit(":", 1)[1])


def secrets_from_env(
    env: Mapping[str, str] | None = None, default_dir: Path | str = Path("var/secrets")
) -> SecretsProvider:
    """Vault when ``VAULT_ADDR`` and ``VAULT_TOKEN`` are set, else files in
    ``GATEWAY_SECRETS_DIR`` (default ``var/secrets``)."""
    env = os.environ if env is None else env
    if env.get("VAULT_ADDR") and env.get("VAULT_TOKEN"):
        return VaultSecretsProvider(
            vault_client(env["VAULT_ADDR"], env["VAULT_TOKEN"]),
            mount=env.get("GATEWAY_VAULT_KV_MOUNT", "secret"),
            prefix=env.get("GATEWAY_VAULT_PREFIX", "gateway/"),
        )
    return FileSecretsProvider(env.get("GATEWAY_SECRETS_DIR", str(default_dir)), env)


def vault_client(url: str, token: str, timeout: float = 5.0) -> Any:
    import hvac

    client = hvac.Client(url=url, token=token, timeout=timeout)
    if not client.is_authenticated():
        raise PermissionError(f"Vault at {url} refused the token")
    return client


def checkpoint_signer(
    provider: SecretsProvider, name: str = CHECKPOINT_KEY, *, transit_mount: str | None = None
) -> Signer:
    """The audit checkpoint signer: a Vault transit key when asked (and on Vault), else a key
    from the provider."""
    if transit_mount is not None:
        if not isinstance(provider, VaultSecretsProvider):
            raise ValueError("transit signing needs the Vault secrets provider")
        return VaultTransitSigner(provider.client, name, transit_mount)
    return Ed25519Signer(provider.get_or_create_ed25519_key(name))


def checkpoint_public_keys(
    provider: SecretsProvider, signer: Signer, name: str = CHECKPOINT_KEY
) -> list[Ed25519PublicKey]:
    """Every key this gateway's checkpoints may carry a signature of: the signer's now and
    the ones it held before each rotation."""
    if isinstance(signer, VaultTransitSigner):
        return signer.all_public_keys()
    return [signer.public_key(), *provider.retired_public_keys(name)]
