"""A local emulator of the Telegram Bot API, for integration tests and the offline demo.

Why it exists: tests and the demo must run the real python-telegram-bot (PTB) stack (HTTP requests,
JSON parsing, error mapping) without reaching api.telegram.org. The emulator therefore speaks the wire
format PTB 22.8 really uses (see shared/api/telegram-zalo-facts.md, sections 1-2):

* ``/bot<token>/<method>``, GET or POST, method names case-insensitive; parameters from the query string,
  form-urlencoded, multipart (uploads) or JSON bodies. PTB json-encodes every non-string value, so
  parameters are decoded back (ints, booleans, objects) except those that are text by nature.
* ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description", "parameters"}`` with the
  HTTP status equal to ``error_code``: PTB picks its exception class from the status and parameters.
* Error descriptions are the exact strings of Telegram's Bot API server, because bots match on them.

Besides the Bot API the emulator is a small fake world: users, groups and channels that "act"
(``send_text``, ``press_button``, ``block_bot``...), producing real Update objects that are delivered
either to a webhook (awaited, so the bot has answered when the call returns) or to ``getUpdates``.
Everything the bot does is recorded as a transcript that tests read back (``messages``,
``wait_for_messages``) and that a browser demo page reads through a JSON control API under ``/_emu/``.

All state lives on a ``TelegramEmulator`` instance; there are no module-level singletons. The
emulator is meant for localhost only: the control API has no authentication.

The package, from the wire up (each layer a mixin over the one shared state):

* ``wire``: request decoding, the reply envelope, ``ApiError``, the server's text and keyboard checks.
* ``world``: people, chats, stored messages and files, the transcript tests read (``World``).
* ``updates``: delivery to the webhook or getUpdates, and the methods choosing between them.
* ``people``: scripted acts of people (``send_text``, ``press_button``, ``block_bot``...).
* ``limits``: Telegram's flood limits and faults scripted with ``fail_next`` and ``drop_next``.
* ``api``: dispatch of ``/bot<token>/<method>`` and the other Bot API methods.
* ``control``: the ``/_emu/`` JSON API of the demo page.
* ``emulator``: ``TelegramEmulator``, all of the above served as one aiohttp app.
"""

from bot.emulator.telegram.control import CONTROL_WAIT_MAX_SECONDS as CONTROL_WAIT_MAX_SECONDS
from bot.emulator.telegram.emulator import TelegramEmulator
from bot.emulator.telegram.updates import LONG_POLL_MAX_SECONDS as LONG_POLL_MAX_SECONDS
from bot.emulator.telegram.wire import JSON as JSON
from bot.emulator.telegram.wire import MAX_CALLBACK_DATA_BYTES as MAX_CALLBACK_DATA_BYTES
from bot.emulator.telegram.wire import MAX_CAPTION as MAX_CAPTION
from bot.emulator.telegram.wire import MAX_REQUEST_BYTES as MAX_REQUEST_BYTES
from bot.emulator.telegram.wire import MAX_TEXT as MAX_TEXT
from bot.emulator.telegram.wire import ApiError, Upload
from bot.emulator.telegram.world import TINY_PNG as TINY_PNG
from bot.emulator.telegram.world import EmulatorError

__all__ = ["ApiError", "EmulatorError", "TelegramEmulator", "Upload"]
