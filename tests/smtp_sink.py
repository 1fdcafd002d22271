#!/usr/bin/env python3
"""A real SMTP server for the outbox tests (tests/api/mail.rs), from
Python's aiosmtpd.

Listens on a free loopback port, writes that port to PORT_FILE once it
accepts connections, and stores each accepted message in DIR as
`<n>.eml` (the bytes received), with its text decoded next to it as
`<n>.txt` and each attachment decoded as `<n>.<filename>`. While
REFUSE_FILE exists it answers every message with its content, or with
451 (try again later) when it is empty. Stops when its standard input closes, so that it
never outlives the test that started it.

usage: smtp_sink.py PORT_FILE DIR REFUSE_FILE
"""

import email
import email.policy
import os
import socket
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, refuse_file):
        self.directory = directory
        self.refuse_file = refuse_file
        self.count = 0
        self.lock = threading.Lock()

    def write(self, name, data):
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(self.directory, name))

    async def handle_DATA(self, server, session, envelope):
        if os.path.exists(self.refuse_file):
            with open(self.refuse_file) as f:
                answer = f.read().strip()
            return answer or "451 4.3.0 Mailbox busy, try again later"
        with self.lock:
            self.count += 1
            n = self.count
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        if body is not None:
            self.write(f"{n}.txt", body.get_content().encode("utf-8"))
        for part in message.iter_attachments():
            name = os.path.basename(part.get_filename() or "attachment")
            self.write(f"{n}.{name}", part.get_payload(decode=True))
        self.write(f"{n}.eml", envelope.content)
        return "250 2.0.0 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port_file, directory, refuse_file = sys.argv[1:4]
    port = free_port()
    controller = Controller(Sink(directory, refuse_file), hostname="127.0.0.1", port=port)
    controller.start()
    with open(port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.replace(port_file + ".tmp", port_file)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
