"""Settings: each bad value stops start-up with one line naming it; secrets are known for scrubbing."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings

ZALO = {"zalo_bot_token": "1459232241454765289:abc-XYZ_09"}


def test_zalo_is_off_without_a_token_and_on_with_one():
    assert load_settings(_env_file=None).zalo_bot_token is None
    settings = load_settings(_env_file=None, **ZALO, zalo_webhook_url="https://k.vn/zalo/webhook",
                             zalo_webhook_secret="eight-ch")
    assert settings.zalo_api_base_url == "https://bot-api.zaloplatforms.com/bot"
    assert set(settings.secrets()) == {"1459232241454765289:abc-XYZ_09", "eight-ch"}
    assert settings.zalo_messages_per_second == 5


@pytest.mark.parametrize(("values", "message"), [
    ({"zalo_bot_token": "no-colon"}, "ZALO_BOT_TOKEN: does not look like a Zalo bot token"),
    ({**ZALO, "zalo_webhook_url": "https://k.vn/zalo/webhook"},
     "ZALO_WEBHOOK_URL is set but ZALO_WEBHOOK_SECRET is not"),
    ({**ZALO, "zalo_webhook_secret": "seven77"}, "ZALO_WEBHOOK_SECRET: must be 8-256 characters"),
    ({**ZALO, "zalo_webhook_secret": "x" * 257}, "ZALO_WEBHOOK_SECRET: must be 8-256 characters"),
    ({"zalo_webhook_url": "ftp://k.vn"}, "ZALO_WEBHOOK_URL: must be an http(s) URL"),
    ({"public_base_url": "k.vn"}, "PUBLIC_BASE_URL: must be an http(s) URL"),
    ({"zalo_messages_per_second": 0}, "ZALO_MESSAGES_PER_SECOND"),
])
def test_bad_zalo_values_are_one_clear_line(values, message):
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None, **values)
    assert message in str(error.value) and "\n" not in str(error.value)
