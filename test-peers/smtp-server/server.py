"""A real SMTP server for the tests (kosodate-test-peers::smtp).

Listens on 127.0.0.1 and stores every accepted message as one JSON file in the mail directory:
{"mail_from": ..., "rcpt_tos": [...], "data": base64 of the DATA bytes as received}. Files are
written to a temporary name and renamed, so a reader never sees half a message, and named so that
sorting the names gives the order of arrival (also across restarts on the same directory).

Prints "ready <port>" on stdout once listening. Exits when stdin closes, so a test process that
dies without cleaning up takes this server with it.
"""

import argparse
import asyncio
import base64
import json
import os
import sys
import threading
import time

from aiosmtpd.smtp import SMTP

MAILBOX_UNAVAILABLE = "550 5.1.1 mailbox unavailable"
MAILBOX_BUSY = "450 4.2.1 mailbox busy, try again later"
MESSAGE_REFUSED = "550 5.7.1 message refused by policy"


class StoringHandler:
    def __init__(self, directory, rejected, deferred, refused):
        self.directory = directory
        self.rejected = rejected
        self.deferred = deferred
        self.refused = refused
        self.sequence = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.rejected:
            return MAILBOX_UNAVAILABLE
        if address.lower() in self.deferred:
            return MAILBOX_BUSY
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(address.lower() in self.refused for address in envelope.rcpt_tos):
            return MESSAGE_REFUSED
        self.store(envelope)
        return "250 2.0.0 OK"

    def store(self, envelope):
        self.sequence += 1
        name = f"{time.time_ns():020d}-{os.getpid()}-{self.sequence:06d}.json"
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data": base64.b64encode(envelope.original_content).decode("ascii"),
        }
        temporary = os.path.join(self.directory, "." + name + ".tmp")
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(record, file)
        os.replace(temporary, os.path.join(self.directory, name))


def lowered(addresses):
    return {address.lower() for address in addresses}


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--reject-recipient", action="append", default=[],
                        help=f"answer RCPT for this address with '{MAILBOX_UNAVAILABLE}'")
    parser.add_argument("--defer-recipient", action="append", default=[],
                        help=f"answer RCPT for this address with '{MAILBOX_BUSY}'")
    parser.add_argument("--refuse-data-for", action="append", default=[],
                        help=f"accept RCPT for this address, answer DATA with '{MESSAGE_REFUSED}'")
    return parser.parse_args()


def stop_when_stdin_closes(loop, stopped):
    # A thread, because reading a pipe from asyncio needs platform-specific plumbing.
    def wait_for_eof():
        while sys.stdin.buffer.read(4096):
            pass
        loop.call_soon_threadsafe(stopped.set)

    threading.Thread(target=wait_for_eof, daemon=True).start()


async def serve(arguments):
    os.makedirs(arguments.maildir, exist_ok=True)
    handler = StoringHandler(
        arguments.maildir,
        lowered(arguments.reject_recipient),
        lowered(arguments.defer_recipient),
        lowered(arguments.refuse_data_for),
    )
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="smtp-peer.test", enable_SMTPUTF8=True),
        host="127.0.0.1",
        port=arguments.port,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"ready {port}", flush=True)
    stopped = asyncio.Event()
    stop_when_stdin_closes(loop, stopped)
    await stopped.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(serve(parse_arguments()))
