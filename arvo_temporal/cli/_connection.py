"""Where and how to reach Temporal: ``temporalio.envconfig`` profiles, then command-line options.

A connection is a :class:`temporalio.envconfig.ClientConfigProfile`: the profile of a TOML file
(``--config-file`` / ``TEMPORAL_CONFIG_FILE``, else ``~/.config/temporalio/temporal.toml``; the
profile named by ``--profile`` / ``TEMPORAL_PROFILE``, else ``default``), with the standard
``TEMPORAL_*`` variables applied on top (``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``,
``TEMPORAL_API_KEY``, ``TEMPORAL_TLS``, ``TEMPORAL_TLS_CLIENT_CERT_PATH`` …), exactly as the
Temporal CLI and the other SDKs read them. Command-line options win over both.

What this module adds to envconfig, and nothing more:

* blank variables count as unset (docker compose passes unset ones as empty strings);
* a ``TEMPORAL_TLS`` value envconfig does not understand is an error, where envconfig would
  ignore it and still turn TLS on;
* a client certificate without its key (or the reverse) is an error before connecting;
* an unknown profile, a broken TOML file and an unreadable certificate become
  :class:`~arvo_temporal.cli._runtime.SettingsError` (one line, exit 2).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio.client import Client, Plugin
from temporalio.converter import DataConverter
from temporalio.envconfig import ClientConfigProfile, ClientConfigTLS, ClientConnectConfig

from arvo_temporal.cli._errors import SettingsError

__all__ = ["DEFAULT_ADDRESS", "DEFAULT_NAMESPACE", "ConnectionSettings", "connection_from_env"]

DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"

# What envconfig understands for TEMPORAL_TLS (sdk-core's env_var_to_bool), lower-cased.
_TLS_VALUES = frozenset({"true", "1", "false", "0"})


@dataclass(frozen=True)
class ConnectionSettings:
    """A Temporal connection: an envconfig profile, possibly with command-line overrides.

    Attributes:
        profile: the loaded profile (``ClientConfigProfile()`` means ``localhost:7233``,
            namespace ``default``, no TLS).
        profile_name: the profile that was asked for, for messages (``None``: the default one).
    """

    # Out of repr: it holds the API key and perhaps a private key's PEM text.
    profile: ClientConfigProfile = field(default_factory=ClientConfigProfile, repr=False)
    profile_name: str | None = None

    def __repr__(self) -> str:
        tls = "on" if self.use_tls else "off"
        named = f" profile={self.profile_name}" if self.profile_name else ""
        return f"<ConnectionSettings {self.address} namespace={self.namespace} tls={tls}{named}>"

    @property
    def address(self) -> str:
        """The frontend, ``host:port``."""
        return self.profile.address or DEFAULT_ADDRESS

    @property
    def namespace(self) -> str:
        """The Temporal namespace."""
        return self.profile.namespace or DEFAULT_NAMESPACE

    @property
    def use_tls(self) -> bool:
        """Whether the connection uses TLS: as envconfig decides, any TLS setting or an API key
        turns it on unless TLS is disabled."""
        if self.profile.tls is not None:
            return self.profile.tls.disabled is not True
        return self.profile.api_key is not None

    def with_overrides(
        self,
        *,
        address: str | None = None,
        namespace: str | None = None,
        api_key: str | None = None,
        tls: bool | None = None,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
        tls_ca: Path | None = None,
        tls_server_name: str | None = None,
    ) -> ConnectionSettings:
        """A copy with the given (non-``None``) values replacing the profile's.

        Raises:
            SettingsError: a certificate without its key or the reverse.
        """
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("address", address),
                ("namespace", namespace),
                ("api_key", api_key),
            )
            if value is not None
        }
        tls_changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("client_cert", tls_cert),
                ("client_private_key", tls_key),
                ("server_root_ca_cert", tls_ca),
                ("server_name", tls_server_name),
            )
            if value is not None
        }
        if tls is not None:
            tls_changes["disabled"] = not tls
        if tls_changes:
            changes["tls"] = dataclasses.replace(
                self.profile.tls or ClientConfigTLS(), **tls_changes
            )
        settings = dataclasses.replace(self, profile=dataclasses.replace(self.profile, **changes))
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse a client certificate without its key (or the reverse) before connecting.

        Raises:
            SettingsError: naming both the variables and the options.
        """
        tls = self.profile.tls
        if tls is not None and (tls.client_cert is None) != (tls.client_private_key is None):
            raise SettingsError(
                "a TLS client certificate needs its private key and the reverse "
                "(TEMPORAL_TLS_CLIENT_CERT_PATH with TEMPORAL_TLS_CLIENT_KEY_PATH, "
                "or --tls-cert with --tls-key)"
            )

    def connect_config(self) -> ClientConnectConfig:
        """The keyword arguments of ``Client.connect`` (``target_host``, ``namespace``, ``tls`` …);
        reads the certificate files.

        Raises:
            SettingsError: a certificate file cannot be read.
        """
        try:
            config = self.profile.to_client_connect_config()
        except OSError as error:
            raise SettingsError(
                f"cannot read the TLS file {error.filename}: {error.strerror or error}"
            ) from None
        config.setdefault("target_host", DEFAULT_ADDRESS)
        config.setdefault("namespace", DEFAULT_NAMESPACE)
        return config

    async def connect(
        self,
        *,
        data_converter: DataConverter = DataConverter.default,
        plugins: Sequence[Plugin] = (),
    ) -> Client:
        """One connection attempt.

        Raises:
            SettingsError: a TLS file cannot be read.
            RuntimeError: the SDK's connection failure.
        """
        return await Client.connect(
            **self.connect_config(), data_converter=data_converter, plugins=list(plugins)
        )


def connection_from_env(
    env: Mapping[str, str],
    *,
    profile: str | None = None,
    config_file: str | None = None,
) -> ConnectionSettings:
    """The connection envconfig describes for ``env`` (blank variables count as unset).

    Args:
        env: the environment (``os.environ`` at the entry points, a dict in tests); the TOML file
            is found through its ``TEMPORAL_CONFIG_FILE``, and the profile through its
            ``TEMPORAL_PROFILE`` unless ``profile`` is given.
        profile: the profile to load (``--profile``).
        config_file: the TOML file to read instead (``--config-file``).

    Raises:
        SettingsError: an unknown profile, a named TOML file that is missing, unreadable or
            broken, a ``TEMPORAL_TLS`` that is not true/false/1/0, or a certificate without its
            key.
    """
    present = {name: value for name, value in env.items() if value.strip()}
    tls_flag = present.get("TEMPORAL_TLS")
    if tls_flag is not None and tls_flag.strip().lower() not in _TLS_VALUES:
        raise SettingsError(f"TEMPORAL_TLS must be true or false; got {tls_flag!r}")
    if config_file is not None:
        present["TEMPORAL_CONFIG_FILE"] = config_file
    named = present.get("TEMPORAL_CONFIG_FILE")
    if named is not None and not Path(named).is_file():
        # envconfig treats a missing file as an empty one; a file named on purpose must exist.
        where = "--config-file" if config_file is not None else "TEMPORAL_CONFIG_FILE"
        raise SettingsError(f"{where}: the Temporal config file {named} does not exist")
    try:
        loaded = ClientConfigProfile.load(profile=profile, override_env_vars=present)
    except Exception as error:  # envconfig's ConfigError is not exported; every failure is config
        source = present.get("TEMPORAL_CONFIG_FILE") or "~/.config/temporalio/temporal.toml"
        reason = " ".join(str(error).split())
        raise SettingsError(f"Temporal client configuration ({source}): {reason}") from None
    settings = ConnectionSettings(
        profile=loaded, profile_name=profile or present.get("TEMPORAL_PROFILE")
    )
    settings.check()
    return settings
