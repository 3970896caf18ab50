#!/usr/bin/env python3
"""Recomputes an AWS Signature Version 4 with botocore (the AWS SDK's own signer) and checks the
request Carrier sent carries exactly that Authorization header.

stdin: {"method", "url", "headers": [[name, value]], "body_b64", "access_key", "secret_key",
        "session_token" (optional), "region", "service"}
Prints "ok" and exits 0 when botocore's signature equals Carrier's, else prints both and exits 1.
"""
import base64, datetime, json, sys
from unittest import mock
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

r = json.load(sys.stdin)
headers = {k: v for k, v in r["headers"]}
lower = {k.lower(): v for k, v in headers.items()}
amz_date = lower["x-amz-date"]
body = base64.b64decode(r["body_b64"])
request = AWSRequest(method=r["method"], url=r["url"], data=body,
                     headers={"Content-Type": lower.get("content-type", "")})
credentials = Credentials(r["access_key"], r["secret_key"], r.get("session_token"))
signer = SigV4Auth(credentials, r["service"], r["region"])
# Sign at the very second Carrier signed.
fixed = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
with mock.patch("botocore.auth.datetime") as clock:
    clock.datetime.utcnow.return_value = fixed
    clock.datetime.now.return_value = fixed.replace(tzinfo=datetime.timezone.utc)
    clock.timezone = datetime.timezone
    signer.add_auth(request)
expected = request.headers["Authorization"]
if expected == lower.get("authorization"):
    print("ok")
    sys.exit(0)
print("botocore: " + expected)
print("carrier:  " + str(lower.get("authorization")))
print("canonical request (botocore):\n" + signer.canonical_request(request))
sys.exit(1)
