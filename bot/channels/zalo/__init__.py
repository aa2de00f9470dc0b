"""The Zalo adapter: the only code that speaks the Zalo Bot Platform API (bot.zaloplatforms.com)."""
