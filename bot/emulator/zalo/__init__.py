"""A local emulator of the Zalo Bot Platform API, beside the Telegram one, for tests and the demo.

Why it exists: the Zalo adapter must be tested through its real HTTP client, without reaching
bot-api.zaloplatforms.com. The emulator speaks Zalo's wire format as documented and observed
(shared/api/telegram-zalo-facts.md, section 5):

* `/bot<token>/<method>`, GET or POST, case-sensitive method names, parameters from the query
  string, a form, multipart or JSON; `{"ok", "result"}` / `{"ok": false, "error_code", "description"}`.
* `getUpdates` returns ONE event, or 408 "Request timeout"; no offsets. The webhook gets the
  wrapped shape with `X-Bot-Api-Secret-Token` (8-256 characters, set by `setWebhook`).
* String ids, millisecond dates; texts and captions of 1-2000 characters (else 400); photos by
  URL; `fail_next` scripts faults such as 429 "Quota exceeded".

Like the Telegram emulator it is also a small fake world (people who write, send photos and
stickers, block the bot), keeps a transcript tests read (`messages`, `wait_for_messages`) and
serves the demo page's control API under `/_emu/`. All state lives on a `ZaloEmulator`; it is
meant for localhost only.

Layers, from the wire up: `wire` (envelope, parameters), `world` (people, chats, transcript),
`updates` (webhook or getUpdates), `people` (scripted acts), `api` (the Bot API methods, faults,
quota), `control` (`/_emu/`), `emulator` (all of it as one aiohttp app).
"""

from bot.emulator.zalo.emulator import ZaloEmulator
from bot.emulator.zalo.wire import MAX_TEXT as MAX_TEXT
from bot.emulator.zalo.wire import ApiError
from bot.emulator.zalo.world import TINY_PNG as TINY_PNG
from bot.emulator.zalo.world import EmulatorError

__all__ = ["ApiError", "EmulatorError", "ZaloEmulator"]
