"""E-mail: the SMTP edge (aiosmtplib)."""
