"""A local emulator of the Graph API's Page publishing, beside the Telegram and Zalo ones.

It serves `/{version}/{page-id}/feed` (POST a text post, GET recent posts) and
`/{version}/{page-id}/photos` (POST a photo with its caption), checks each Page's access token,
and records the posts, which tests and the demo page read (`posts`, `/_fb/posts`). Faults are
scripted per Page: an expired token (code 190, subcode 463, OAuthException), a rate limit (codes
4, 17, 32, 613, 80001 with HTTP 400 or 403), a server error (HTTP 500), any other Graph error
(`refuse_next`: a permission code 10 or 200-299, 100 "Invalid parameter", 506 duplicate...), a
token without a permission (`take_permission`: posts or feed reads refused as Facebook refuses
them), and `hold` (a post is made but its answer waits: the process can die before it learns the
post id). Localhost only.
"""

from bot.emulator.facebook.emulator import (
    GRAPH_VERSION,
    PUBLISH,
    READ,
    FacebookEmulator,
    FacebookEmulatorError,
)

__all__ = ["GRAPH_VERSION", "PUBLISH", "READ", "FacebookEmulator", "FacebookEmulatorError"]
