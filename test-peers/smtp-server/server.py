"""A real SMTP server for the tests (kosodate-test-peers::smtp).

Listens on 127.0.0.1 and stores every accepted message as one JSON file in the mail directory:
{"mail_from": ..., "rcpt_tos": [...], "data": base64 of the DATA bytes as received}. Files are
written to a temporary name and renamed, so a reader never sees half a message, and named so that
sorting the names gives the order of arrival (also across restarts on the same directory).

With --tls, the server offers STARTTLS and requires it; with --implicit-tls, it speaks TLS from
the first byte (smtps). Either way it presents tls/cert.pem (127.0.0.1, localhost), issued by the
test CA tls/ca.pem (both valid until 2126; the CA's key was thrown away). With --auth USER:PASSWORD
it requires AUTH (PLAIN or LOGIN) with exactly those credentials before MAIL.

Prints "ready <port>" on stdout once listening. Exits when stdin closes, so a test process that
dies without cleaning up takes this server with it.
"""

import argparse
import asyncio
import base64
import json
import os
import ssl
import sys
import threading
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

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


TLS_DIRECTORY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tls")


def server_tls_context():
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(os.path.join(TLS_DIRECTORY, "cert.pem"), os.path.join(TLS_DIRECTORY, "key.pem"))
    return context


class Authenticator:
    def __init__(self, credentials):
        login, _, password = credentials.partition(":")
        self.expected = (login.encode(), password.encode())

    def __call__(self, server, session, envelope, mechanism, auth_data):
        given = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password)
        # handled=False: aiosmtpd then answers a failure with 535 itself.
        return AuthResult(success=given == self.expected, handled=False)


def smtp_factory(handler, arguments):
    options = {"hostname": "smtp-peer.test", "enable_SMTPUTF8": True}
    if arguments.tls:
        options.update(tls_context=server_tls_context(), require_starttls=True)
    if arguments.auth:
        # Over --implicit-tls the connection is already encrypted, which aiosmtpd cannot tell.
        options.update(authenticator=Authenticator(arguments.auth), auth_required=True,
                       auth_require_tls=not arguments.implicit_tls)
    return lambda: SMTP(handler, **options)


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
    parser.add_argument("--tls", action="store_true", help="offer and require STARTTLS")
    parser.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte (smtps)")
    parser.add_argument("--auth", metavar="USER:PASSWORD", help="require AUTH with these credentials")
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
        smtp_factory(handler, arguments),
        host="127.0.0.1",
        port=arguments.port,
        ssl=server_tls_context() if arguments.implicit_tls else None,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"ready {port}", flush=True)
    stopped = asyncio.Event()
    stop_when_stdin_closes(loop, stopped)
    await stopped.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(serve(parse_arguments()))
