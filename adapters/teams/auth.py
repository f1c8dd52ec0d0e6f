"""How okrbot authenticates with the Bot Framework: the SDK's configuration, built from the TeamsConfig."""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.schema import CallerIdConstants
from botframework.connector.auth import AuthenticationConstants

from adapters.teams.config import TeamsConfig
from adapters.teams.signing_keys import install


@dataclass(frozen=True)
class AuthConfiguration:
    """What ConfigurationBotFrameworkAuthentication reads, from the adapter's TeamsConfig.

    Always the SDK's parameterized authentication, with the public cloud's values: then the OpenID
    metadata URL the tokens are checked against is configuration (ToBotFromChannelOpenIdMetadataUrl),
    which tests point at a local key server, and production and tests run the same code."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str | None
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str = AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: str = AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
    OAUTH_URL: str = AuthenticationConstants.OAUTH_URL
    CALLER_ID: str = CallerIdConstants.public_azure_channel
    VALIDATE_AUTHORITY: bool = True


def auth_configuration(config: TeamsConfig) -> AuthConfiguration:
    """The SDK's configuration, its key URLs served by okrbot's SigningKeys."""
    if not config.app_id:  # authentication off: only the SDK's MultiTenant allows an empty app id
        configuration = AuthConfiguration("", "", "MultiTenant", None)
    else:
        configuration = AuthConfiguration(
            config.app_id, config.app_password or "", config.app_type, config.tenant_id,
            TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=config.openid_metadata_url
            or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL)
    install(configuration.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
            configuration.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL)
    return configuration
