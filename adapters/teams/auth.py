"""How okrbot authenticates with the Bot Framework: the SDK's configuration, built from Settings."""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.schema import CallerIdConstants
from botframework.connector.auth import AuthenticationConstants

from adapters.teams.signing_keys import install
from okrbot.settings import Settings


@dataclass(frozen=True)
class AuthConfiguration:
    """What ConfigurationBotFrameworkAuthentication reads, from okrbot's Settings.

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


def auth_configuration(settings: Settings) -> AuthConfiguration:
    """The SDK's configuration, its key URLs served by okrbot's SigningKeys; a ConfigurationError (at
    start-up) when the app type lacks what it needs."""
    if not settings.teams_app_id:  # authentication off: only the SDK's MultiTenant allows an empty app id
        configuration = AuthConfiguration("", "", "MultiTenant", None)
    else:
        configuration = AuthConfiguration(
            settings.teams_app_id, settings.teams_app_password or "", settings.teams_app_type_checked(),
            settings.teams_tenant_id,
            TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=settings.teams_openid_metadata_url
            or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL)
    install(configuration.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
            configuration.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL)
    return configuration
