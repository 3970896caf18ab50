#!/usr/bin/env python3
"""SMTP server for Carrier's tests, on aiosmtpd (Debian python3-aiosmtpd).

Listens on 127.0.0.1 on a free port, prints "READY <port>", and writes each received message to
OUTDIR as NNNN.json {"mail_from", "rcpt_tos", "data_b64", "tls", "auth_login"}.

  --tls starttls|implicit|none   STARTTLS offered, TLS from the first byte, or plain only
  --cert FILE --key FILE          the certificate (made by the test with openssl)
  --auth USER:PASS                require AUTH (PLAIN and LOGIN offered)
  --reject ADDR                   answer 550 to RCPT TO for this address (repeatable)
  --defer ADDR                    answer 452 (try again later) to RCPT TO for this address (repeatable)
  --smtputf8                      offer SMTPUTF8 (RFC 6531) in the EHLO reply
  --greeting "554 …"             greet with this line instead of 220 (then close), or "garbage" for a non-SMTP banner
  --mail-reply "451 4.7.1 …"      answer MAIL FROM with this reply (repeatable: one per message, then 250)
  --drop-on-data                  close the connection when DATA is sent, without a reply
  --idle-timeout SECONDS          close connections idle this long (default 300)
  --xoauth2 USER:TOKEN            also offer AUTH XOAUTH2 and accept this user and bearer token
  --lifetime SECONDS              stop by itself (default 600)
SIGUSR1 closes every open connection as an idle timeout would (421, then close) and then writes
"idle-closed-N" (N counts the signals) into the folder: a test closes idle connections when it
chooses, instead of sleeping past a timer.
"""
import argparse, asyncio, base64, json, os, signal, ssl, sys, threading
from aiosmtpd.smtp import SMTP, AuthResult

signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

parser = argparse.ArgumentParser()
parser.add_argument("outdir")
parser.add_argument("--tls", default="none")
parser.add_argument("--cert")
parser.add_argument("--key")
parser.add_argument("--auth")
parser.add_argument("--reject", action="append", default=[])
parser.add_argument("--defer", action="append", default=[])
parser.add_argument("--smtputf8", action="store_true")
parser.add_argument("--greeting")
parser.add_argument("--mail-reply", action="append", default=[])
parser.add_argument("--drop-on-data", action="store_true")
parser.add_argument("--lifetime", type=float, default=600)
parser.add_argument("--idle-timeout", type=float, default=300)
parser.add_argument("--xoauth2", help="USER:TOKEN accepted by AUTH XOAUTH2")
args = parser.parse_args()
os.makedirs(args.outdir, exist_ok=True)
counter = {"n": 0}


class Handler:
    async def handle_MAIL(self, server, session, envelope, address, options):
        if args.mail_reply:
            return args.mail_reply.pop(0)
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address in args.reject:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if address in args.defer:
            return "452 4.2.2 <%s>: Mailbox full, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if args.drop_on_data:
            server.transport.close()
            return "421 closing"
        counter["n"] += 1
        record = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                  "data_b64": base64.b64encode(envelope.original_content or envelope.content).decode(),
                  "tls": server.transport.get_extra_info("ssl_object") is not None, "auth_login": (session.login_data or b"").decode() if isinstance(session.login_data, bytes) else session.login_data,
                  "helo": session.host_name, "peer_port": session.peer[1], "connection": id(server),
                  "mail_options": envelope.mail_options}
        path = os.path.join(args.outdir, "%04d.json" % counter["n"])
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 Ok: queued as CARRIER%04d" % counter["n"]


class OAuthHandler(Handler):
    async def auth_XOAUTH2(self, server, args):
        """SASL XOAUTH2: base64("user=" U "\\x01auth=Bearer " T "\\x01\\x01") as the initial response."""
        if len(args) >= 2:
            decoded = base64.b64decode(args[1]).decode()
        else:
            response = await server.challenge_auth("", encode_to_b64=False)
            decoded = response.decode() if isinstance(response, bytes) else ""
        want_user, want_token = ARGS_XOAUTH2
        ok = decoded == "user=%s\x01auth=Bearer %s\x01\x01" % (want_user, want_token)
        return AuthResult(success=ok, handled=False, auth_data=want_user if ok else None)


ARGS_XOAUTH2 = tuple(args.xoauth2.split(":", 1)) if args.xoauth2 else (None, None)


def authenticator(server, session, envelope, mechanism, auth_data):
    user, password = args.auth.split(":", 1)
    login = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
    secret = auth_data.password.decode() if isinstance(auth_data.password, bytes) else auth_data.password
    ok = login == user and secret == password
    return AuthResult(success=ok, handled=False, auth_data=login if ok else None)


def make_context():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    return context


class Refusing(asyncio.Protocol):
    """Greets with --greeting instead of 220, then closes: a server that will not talk."""
    def connection_made(self, transport):
        line = b"\x1b[2J220garbage \x00 not smtp\r\n" if args.greeting == "garbage" else (args.greeting + "\r\n").encode()
        transport.write(line)
        asyncio.get_running_loop().call_later(0.2, transport.close)


open_sessions = set()
idle_closes = 0


class Tracked(SMTP):
    """An aiosmtpd session the server can close on SIGUSR1."""
    def connection_made(self, transport):
        open_sessions.add(self)
        super().connection_made(transport)

    def connection_lost(self, error):
        open_sessions.discard(self)
        super().connection_lost(error)


def close_idle():
    global idle_closes
    for session in list(open_sessions):
        if session.transport is not None and not session.transport.is_closing():
            session.transport.write(b"421 4.4.2 test.smtp.local idle timeout\r\n")
            session.transport.close()
    idle_closes += 1
    with open(os.path.join(args.outdir, "idle-closed-%d" % idle_closes), "w"):
        pass


def factory():
    if args.greeting:
        return Refusing()
    kwargs = dict(hostname="test.smtp.local", decode_data=False, timeout=args.idle_timeout, enable_SMTPUTF8=args.smtputf8)
    if args.tls == "starttls":
        kwargs.update(tls_context=make_context(), require_starttls=True)
    if args.auth:
        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=(args.tls != "none"))
    if args.xoauth2:
        kwargs.update(auth_required=True, auth_require_tls=(args.tls != "none"), auth_exclude_mechanism=["LOGIN", "PLAIN"],
                      authenticator=lambda *a: AuthResult(success=False, handled=False))
        return Tracked(OAuthHandler(), **kwargs)
    return Tracked(Handler(), **kwargs)


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", 0, ssl=make_context() if args.tls == "implicit" else None)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
    loop.add_signal_handler(signal.SIGUSR1, close_idle)
    print("READY", server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.call_later(args.lifetime, stop.set)
    await stop.wait()
    server.close()


asyncio.run(main())
