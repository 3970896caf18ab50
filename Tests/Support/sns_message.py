#!/usr/bin/env python3
"""Makes an Amazon SNS HTTP message signed as SNS signs them (string to sign per AWS's
"Verifying the signatures of Amazon SNS messages"), with a private key made by openssl in the
test — a peer independent of Carrier (the `cryptography` package signs).

  sns_message.py KEY.pem TYPE --cert-url URL [--message TEXT] [--topic ARN] [--subscribe-url URL]
                 [--version 1|2] [--timestamp ISO]
TYPE is Notification, SubscriptionConfirmation or UnsubscribeConfirmation. Prints the JSON body.
"""
import base64, json, sys, uuid
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

def sign(message, key):
    """Sets message["Signature"]: base64 RSA PKCS#1 v1.5 over "key\\nvalue\\n" for the keys SNS signs
    for its Type, SHA-1 for SignatureVersion 1, SHA-256 for 2."""
    keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"] if message["Type"] == "Notification" \
        else ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    signed = "".join(f"{k}\n{message[k]}\n" for k in keys if k in message)
    algorithm = hashes.SHA1() if message.get("SignatureVersion", "1") == "1" else hashes.SHA256()
    message["Signature"] = base64.b64encode(key.sign(signed.encode(), padding.PKCS1v15(), algorithm)).decode()
    return message

def main():
    key_path, kind = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    def option(name, default=None):
        return args[args.index(name) + 1] if name in args else default
    topic = option("--topic", "arn:aws:sns:us-east-1:123456789012:ses-events")
    message = {"Type": kind, "MessageId": str(uuid.uuid4()), "TopicArn": topic,
               "Message": option("--message", "You have chosen to subscribe to the topic " + topic),
               "Timestamp": option("--timestamp", "2026-11-27T12:00:00.000Z"), "SignatureVersion": option("--version", "2"),
               "SigningCertURL": option("--cert-url")}
    if kind != "Notification":
        message["Token"] = "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736"
        message["SubscribeURL"] = option("--subscribe-url")
    key = serialization.load_pem_private_key(open(key_path, "rb").read(), password=None)
    print(json.dumps(sign(message, key)))

if __name__ == "__main__":
    main()
