#!/usr/bin/env python3
"""Signs the sample webhooks of a fixture (Tests/Fixtures/events/PROVIDER.json) the way the ESP
does, with an implementation independent of Carrier's: Python's hmac, and the `cryptography`
package for ECDSA and RSA. Prints {"secret": …, "cases": [{name, variant, headers, body_b64, url}]}, and
`served` ({URL path: base64 content}) for schemes whose keys the ESP publishes as certificates (SNS).

Each case comes as `good`, and as variants that must be refused: `tampered` (the body changed
after signing), `unsigned` (no signature or credentials), and `stale` (signed an hour ago) for
schemes with a timestamp.

  webhook_case.py FIXTURE [--now SECONDS]
"""
import base64, hashlib, hmac, json, os, secrets, sys, time, urllib.parse
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sns_message

def b64(data): return base64.b64encode(data).decode()

def body_bytes(case):
    body = case.get("body", "")
    if isinstance(body, str): return body.encode()
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()

class Scheme:
    timestamped = False
    def __init__(self, options): self.options = options
    def secret(self): return secrets.token_hex(16)
    def sign(self, case, body, headers, now, secret): return body
    def tamper(self, body, headers):
        """What an attacker changes after signing: by default one byte of the body."""
        return (body.replace(b"e", b"E", 1) if b"e" in body else body + b" "), headers

class Mailgun(Scheme):
    """signature.signature = hex HMAC-SHA256(key, timestamp + token), inside the JSON body."""
    timestamped = True
    def sign(self, case, body, headers, now, secret):
        payload = json.loads(body)
        token = secrets.token_hex(25)
        stamp = str(int(now))
        payload["signature"] = {"timestamp": stamp, "token": token,
                                "signature": hmac.new(secret.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()}
        return json.dumps(payload, separators=(",", ":")).encode()
    def unsign(self, body):
        payload = json.loads(body); payload.pop("signature", None); return json.dumps(payload).encode()
    def tamper(self, body, headers):
        # The signature covers timestamp and token only: a forged token must fail.
        payload = json.loads(body); payload["signature"]["token"] = secrets.token_hex(25)
        return json.dumps(payload).encode(), headers

class Svix(Scheme):
    """svix-signature: "v1,<base64 HMAC-SHA256(base64-decoded secret, id.timestamp.body)>" (Standard Webhooks).
    Options: `prefix` of the header names (default "svix"); `key: text` to key the HMAC with the secret
    exactly as issued, prefix included and not decoded (AhaSend), whose prefix is `secret_prefix`
    (default "whsec_"). A case's own `<prefix>-id` header is kept as the message id (so `expect` can
    name its event_id); otherwise the id is made from the body."""
    timestamped = True
    def secret(self):
        if self.options.get("key") == "text":
            return self.options.get("secret_prefix", "whsec_") + secrets.token_urlsafe(24)
        return "whsec_" + b64(secrets.token_bytes(24))
    def sign(self, case, body, headers, now, secret):
        prefix = self.options.get("prefix", "svix")
        key = secret.encode() if self.options.get("key") == "text" else base64.b64decode(secret[len("whsec_"):])
        msg_id = headers.get(f"{prefix}-id") or "msg_" + hashlib.sha256(body).hexdigest()[:24]
        stamp = str(int(now))
        signature = b64(hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest())
        headers[f"{prefix}-id"] = msg_id
        headers[f"{prefix}-timestamp"] = stamp
        # An old secret's signature first: any one that matches is enough.
        headers[f"{prefix}-signature"] = "v1," + b64(secrets.token_bytes(32)) + " v1," + signature
        return body

class Lettermint(Scheme):
    """X-Lettermint-Signature: "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>", keyed by the
    whsec_-prefixed secret used as text (not decoded); X-Lettermint-Delivery repeats the timestamp."""
    timestamped = True
    def secret(self): return "whsec_" + secrets.token_urlsafe(24)
    def sign(self, case, body, headers, now, secret):
        stamp = str(int(now))
        signature = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        headers["X-Lettermint-Signature"] = f"t={stamp},v1={signature}"
        headers["X-Lettermint-Delivery"] = stamp
        return body

class Basic(Scheme):
    """Authorization: Basic base64(user:password), the credentials of the webhook URL."""
    def secret(self): return "carrier:" + secrets.token_hex(12)
    def sign(self, case, body, headers, now, secret):
        headers["Authorization"] = "Basic " + b64(secret.encode())
        return body
    def tamper(self, body, headers):
        return body, {**headers, "Authorization": "Basic " + b64(b"carrier:wrong-password")}

class HMACBody(Scheme):
    """A header holding HMAC(secret, body) in hex or base64 (Mailtrap, MailerSend, …)."""
    def sign(self, case, body, headers, now, secret):
        digest = hmac.new(secret.encode(), body, getattr(hashlib, self.options.get("algorithm", "sha256"))).digest()
        headers[self.options["header"]] = digest.hex() if self.options.get("encoding", "hex") == "hex" else b64(digest)
        return body

class Mandrill(Scheme):
    """X-Mandrill-Signature: base64 HMAC-SHA1(key, URL + each POST field name and value, sorted by name).
    A case's `extra_fields` are posted (and signed) beside mandrill_events."""
    def sign(self, case, body, headers, now, secret):
        events = body.decode()
        form = {**case.get("extra_fields", {}), "mandrill_events": events}
        signed = case["url"] + "".join(k + v for k, v in sorted(form.items()))
        headers["X-Mandrill-Signature"] = b64(hmac.new(secret.encode(), signed.encode(), hashlib.sha1).digest())
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urllib.parse.urlencode(form).encode()

class PublicKey(Scheme):
    """ECDSA P-256 (SendGrid: over timestamp + body), RSA PKCS#1 v1.5 (Postal) or Ed25519 (MailPace), over the body."""
    def __init__(self, options):
        super().__init__(options)
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
        if options.get("key") == "rsa":
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif options.get("key") == "ed25519":
            self.key = ed25519.Ed25519PrivateKey.generate()
        else:
            self.key = ec.generate_private_key(ec.SECP256R1())
        if options.get("key") == "ed25519":
            # MailPace shows the raw 32-byte key, base64.
            self.public = b64(self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        else:
            self.public = b64(self.key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
        self.timestamped = "timestamp_header" in options
    def secret(self): return self.public
    def sign(self, case, body, headers, now, secret):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding
        data = body
        if "timestamp_header" in self.options:
            stamp = str(int(now))
            headers[self.options["timestamp_header"]] = stamp
            data = stamp.encode() + body
        algorithm = hashes.SHA1() if self.options.get("algorithm") == "sha1" else hashes.SHA256()
        if self.options.get("key") == "rsa":
            signature = self.key.sign(data, padding.PKCS1v15(), algorithm)
        elif self.options.get("key") == "ed25519":
            signature = self.key.sign(data)
        else:
            signature = self.key.sign(data, ec.ECDSA(algorithm))
        headers[self.options["header"]] = b64(signature)
        return body

class ZeptoMail(Scheme):
    """producer-signature: ts=<ms>;s=<URL-encoded base64 HMAC-SHA256(key, event JSON)>;s-algorithm=HmacSHA256
    (as Zoho's Java validator on its "Securing Webhooks" page verifies it; the ts is not signed). With a form Content-Type the
    JSON travels URL-encoded in the field named by the option `form_field` (default "data")."""
    def sign(self, case, body, headers, now, secret):
        digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        headers["producer-signature"] = f"ts={int(now * 1000)};s={urllib.parse.quote(b64(digest), safe='')};s-algorithm=HmacSHA256"
        if "x-www-form-urlencoded" in headers.get("Content-Type", ""):
            return urllib.parse.urlencode({self.options.get("form_field", "data"): body.decode()}).encode()
        return body

class TokenQuery(Scheme):
    """A secret token in the notification URL's query (`token=`, or the name in the option `param`),
    beside the case's own `query` fields (Elastic Email sends its notifications as a GET with the event
    in the query string); or, for a case with "via": "bearer", in an `Authorization: Bearer` header
    (an Azure Event Grid delivery property)."""
    def sign(self, case, body, headers, now, secret):
        if case.get("via") == "bearer":
            headers["Authorization"] = "Bearer " + secret
        else:
            headers[":url"] = case["url"] + "?" + urllib.parse.urlencode({**case.get("query", {}), self.param(): secret})
        return body
    def param(self): return self.options.get("param", "token")
    def tamper(self, body, headers):
        if "Authorization" in headers:
            return body, {**headers, "Authorization": "Bearer wrong-" + secrets.token_hex(8)}
        return body, {**headers, ":url": headers[":url"].replace(self.param() + "=", self.param() + "=x")}

class TokenBody(Scheme):
    """A secret the ESP copies into the JSON body it posts (SocketLabs' SecretKey): every string value in the
    case's body equal to the option `placeholder` (default "$SECRET") becomes the secret. `unsigned` drops
    those fields; `tampered` puts a wrong secret in them (the body itself is not signed)."""
    def placeholder(self): return self.options.get("placeholder", "$SECRET")
    @staticmethod
    def replace(value, old, new):
        """The value with each object field holding `old` set to `new` (removed when `new` is None)."""
        if isinstance(value, list):
            return [TokenBody.replace(v, old, new) for v in value]
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if v != old:
                    out[k] = TokenBody.replace(v, old, new)
                elif new is not None:
                    out[k] = new
            return out
        return value
    def rewrite(self, body, old, new):
        return json.dumps(self.replace(json.loads(body), old, new), separators=(",", ":"), ensure_ascii=False).encode()
    def sign(self, case, body, headers, now, secret):
        self.signed_with = secret
        return self.rewrite(body, self.placeholder(), secret)
    def tamper(self, body, headers):
        return self.rewrite(body, self.signed_with, "wrong-" + secrets.token_hex(8)), headers
    def unsign(self, body):
        return self.rewrite(body, self.signed_with, None)

class Unisender(Scheme):
    """auth = hex MD5 of the raw body with the auth value replaced by the API key (as django-anymail
    checks it: a string replacement in the raw bytes)."""
    def sign(self, case, body, headers, now, secret):
        payload = json.loads(body)
        payload["auth"] = secret
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        digest = hashlib.md5(raw).hexdigest()
        return raw.replace(secret.encode(), digest.encode())
    def tamper(self, body, headers):
        # A change in the events, not in the hex of auth (whose case does not matter).
        i = body.rfind(b"e")
        return body[:i] + b"E" + body[i + 1:], headers
    def unsign(self, body):
        payload = json.loads(body); payload["auth"] = ""; return json.dumps(payload).encode()

class SNS(Scheme):
    """An SNS-format message (Scaleway's Topics and Events), signed by sns_message.sign. openssl makes
    a CA and a signing certificate (DER) it issues; `served` maps URL paths to what the ESP serves
    there: the signing certificate at the message's SigningCertURL and the CA at the option
    `trust_chain`'s path. Refused variants of its own: `elsewhere` (a SigningCertURL on another host,
    whose path serves the good certificate) and, with a trust chain, `untrusted` (a self-signed
    certificate) and `expired` (issued by the CA, no longer valid). The account needs no webhook_secret."""
    def __init__(self, options):
        super().__init__(options)
        import datetime, subprocess, tempfile
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        def openssl(*args): subprocess.run(["openssl", *args], check=True, capture_output=True)
        with tempfile.TemporaryDirectory() as folder:
            path = lambda name: os.path.join(folder, name)
            openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2",
                    "-subj", "/CN=Test SNS CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("leaf.key"), "-out", path("leaf.csr"), "-subj", "/CN=sns.test")
            openssl("x509", "-req", "-in", path("leaf.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
                    "-out", path("leaf.der"), "-outform", "DER", "-days", "1")
            openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("rogue.key"), "-out", path("rogue.der"), "-outform", "DER",
                    "-days", "1", "-subj", "/CN=sns.test")
            load = lambda name: serialization.load_pem_private_key(open(path(name), "rb").read(), password=None)
            self.key, self.rogue, ca_key = load("leaf.key"), load("rogue.key"), load("ca.key")
            self.leaf, self.rogue_certificate, self.ca = (open(path(n), "rb").read() for n in ("leaf.der", "rogue.der", "ca.pem"))
        # openssl 3.0 cannot date a certificate in the past: the expired one is issued with cryptography.
        ca = x509.load_pem_x509_certificate(self.ca)
        now = datetime.datetime.now(datetime.timezone.utc)
        self.expired = x509.CertificateBuilder().subject_name(x509.Name.from_rfc4514_string("CN=sns.test")).issuer_name(ca.subject) \
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number()) \
            .not_valid_before(now - datetime.timedelta(days=3)).not_valid_after(now - datetime.timedelta(days=1)) \
            .sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
        self.served = {}
        if "trust_chain" in options:
            self.served[urllib.parse.urlsplit(options["trust_chain"]).path] = self.ca
    def secret(self): return None
    def sign(self, case, body, headers, now, secret, key=None, certificate=None, name=None, host=None):
        message = json.loads(body)
        parts = urllib.parse.urlsplit(message["SigningCertURL"])
        if name:
            parts = parts._replace(path=parts.path.rsplit("/", 1)[0] + "/" + name)
        if host:
            parts = parts._replace(netloc=host)
        message["SigningCertURL"] = urllib.parse.urlunsplit(parts)
        self.served[parts.path] = certificate or self.leaf
        return json.dumps(sns_message.sign(message, key or self.key)).encode()
    def variants(self, case, body):
        elsewhere = {"elsewhere": self.sign(case, body, {}, 0, None, host=urllib.parse.urlsplit(json.loads(body)["SigningCertURL"]).netloc + ".evil.example")}
        if "trust_chain" not in self.options:
            return elsewhere  # the ESP's host is the only proof (AWS): a certificate there is trusted
        return {"untrusted": self.sign(case, body, {}, 0, None, key=self.rogue, certificate=self.rogue_certificate, name="rogue.crt"),
                "expired": self.sign(case, body, {}, 0, None, certificate=self.expired, name="expired.crt"), **elsewhere}
    def tamper(self, body, headers):
        message = json.loads(body); message["Message"] = message["Message"].replace("e", "E", 1)
        return json.dumps(message).encode(), headers
    def unsign(self, body):
        message = json.loads(body); message.pop("Signature", None); return json.dumps(message).encode()

SCHEMES = {"mailgun": Mailgun, "svix": Svix, "basic": Basic, "hmac_body": HMACBody, "mandrill": Mandrill, "public_key": PublicKey,
           "zeptomail": ZeptoMail, "token_query": TokenQuery, "unisender": Unisender, "sns": SNS, "lettermint": Lettermint,
           "token_body": TokenBody}

def main():
    fixture = json.load(open(sys.argv[1]))
    now = float(sys.argv[sys.argv.index("--now") + 1]) if "--now" in sys.argv else time.time()
    scheme = SCHEMES[fixture["scheme"]](fixture.get("scheme_options", {}))
    secret = scheme.secret()
    out = []
    for case in fixture["cases"]:
        case.setdefault("url", "https://hooks.example.com/events/a")
        base_headers = {"Content-Type": case.get("content_type", "application/json"), **case.get("headers", {})}
        def make(variant, when):
            headers = dict(base_headers)
            body = scheme.sign(case, body_bytes(case), headers, when, secret)
            if variant == "tampered":
                body, headers = scheme.tamper(body, headers)
            if variant == "unsigned":
                headers = dict(base_headers)
                body = scheme.unsign(body) if hasattr(scheme, "unsign") else body_bytes(case)
                if "query" in case:
                    headers[":url"] = case["url"] + "?" + urllib.parse.urlencode(case["query"])
            url = headers.pop(":url", case["url"])
            out.append({"name": case["name"], "variant": variant, "headers": [[k, v] for k, v in headers.items()],
                        "body_b64": b64(body), "url": url})
        make("good", now)
        make("tampered", now)
        make("unsigned", now)
        if scheme.timestamped:
            make("stale", now - 3600)
        # Copies a scheme refuses for a reason of its own (an SNS certificate from the wrong CA).
        for variant, body in (scheme.variants(case, body_bytes(case)) if hasattr(scheme, "variants") else {}).items():
            out.append({"name": case["name"], "variant": variant, "headers": [[k, v] for k, v in base_headers.items()],
                        "body_b64": b64(body), "url": case["url"]})
    served = {path: b64(content) for path, content in getattr(scheme, "served", {}).items()}
    json.dump({"secret": secret, "cases": out, **({"served": served} if served else {})}, sys.stdout)

if __name__ == "__main__":
    main()
