"""The web console: the province's desk, one more edge over the same features as the chat.

Pages are server-rendered (aiohttp-jinja2) from `templates/`, with a little plain JavaScript
from `static/` for the live parts; everything is served from the package, so the console works
with no internet. Actions go through `Dispatcher.act`, the chat's own rules as the signed-in
person, and their notices reach people in chat exactly as a pressed button's would.
"""
