"""A real SMTP server for tests: aiosmtpd storing mail in a Maildir.

usage: smtp_server.py PORT MAILDIR -- prints "READY" once it accepts connections, then serves
until stdin closes (the test holds the pipe; when the test ends, the server ends).
"""
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

port, maildir = int(sys.argv[1]), sys.argv[2]
controller = Controller(Mailbox(maildir), hostname="127.0.0.1", port=port)
controller.start()  # returns once the server answers
print("READY", flush=True)
sys.stdin.read()
controller.stop()
