#!/usr/bin/env python3
"""Amazon SES for Carrier's tests: moto's server on 127.0.0.1 (a free port), with the sender's
domain verified, so a SendEmail that reaches it is accepted as AWS would accept it.

Prints "READY <port>". Every message SES accepted is written to OUTDIR as NNNN.json
{"source", "destinations", "raw_b64", "id"} (read from moto's own backend). Stops on SIGTERM,
or by itself after --lifetime seconds (default 600).

usage: moto_ses.py OUTDIR [--domain shop.example.com] [--region us-east-1]
Needs moto[server] (installed into .build/test-venv by `make test`).
"""
import argparse, base64, json, os, signal, threading, time
import boto3
from moto.server import ThreadedMotoServer

signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
parser = argparse.ArgumentParser()
parser.add_argument("outdir")
parser.add_argument("--domain", default="shop.example.com")
parser.add_argument("--region", default="us-east-1")
parser.add_argument("--lifetime", type=float, default=600)
args = parser.parse_args()
os.makedirs(args.outdir, exist_ok=True)

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
port = server._server.server_port
client = boto3.client("sesv2", region_name=args.region, endpoint_url=f"http://127.0.0.1:{port}",
                      aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="testing")
client.create_email_identity(EmailIdentity=args.domain)
print("READY", port, flush=True)

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
threading.Timer(args.lifetime, stop.set).start()
written = 0
while not stop.is_set():
    from moto.ses.models import ses_backends
    messages = []
    for account in list(ses_backends.keys()):
        backend = ses_backends[account][args.region]
        messages += list(getattr(backend, "sent_messages", []))
    for message in messages[written:]:
        written += 1
        raw = getattr(message, "raw_data", None)
        record = {"id": getattr(message, "id", ""), "source": getattr(message, "source", ""),
                  "destinations": getattr(message, "destinations", None),
                  "raw_b64": base64.b64encode(raw.encode() if isinstance(raw, str) else (raw or b"")).decode()}
        path = os.path.join(args.outdir, "%04d.json" % written)
        with open(path + ".tmp", "w") as f:
            json.dump(record, f, default=str)
        os.rename(path + ".tmp", path)
    time.sleep(0.05)
server.stop()
