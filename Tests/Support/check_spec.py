#!/usr/bin/env python3
"""Validates a JSON request body against an OpenAPI 3.x operation's request schema, or a Swagger 2.0
operation's `in: body` parameter (Azure's specs).

usage: check_spec.py SPEC.yaml PATH METHOD [--set PROPERTY=JSONSCHEMA] [--oneof-as-anyof] < body.json
       check_spec.py SPEC.yaml PATH METHOD --multipart CONTENT-TYPE < body   (a multipart/form-data body: its
                                   fields become an object — repeated fields a list — validated against the
                                   operation's multipart/form-data schema; files are read as strings)
Prints "valid", or each validation error on its own line and exits 1.

Two known spec quirks can be named explicitly (the spec files stay as published):
  --set custom_args='{"type":"object"}'  SendGrid types the top-level custom_args as a string;
                                         the live API takes an object (see Tests/Specs/README.md).
  --oneof-as-anyof                       Mailtrap's oneOf alternatives (text / html / text and html)
                                         overlap, so a body with both parts matches all three and a
                                         strict oneOf can never accept it.
  --allof-open                           Mailchimp Transactional's request schemas close
                                         additionalProperties inside each allOf part (the key part
                                         and the message part), so no body can pass both; the flag
                                         drops additionalProperties: false inside allOf parts.
"""
import json, sys
import yaml
from jsonschema import Draft202012Validator
from jsonschema.validators import RefResolver


def walk(node, fn):
    if isinstance(node, dict):
        fn(node)
        for v in node.values():
            walk(v, fn)
    elif isinstance(node, list):
        for v in node:
            walk(v, fn)


def multipart_fields(content_type, raw, schema, spec):
    """The fields of a multipart/form-data body as an object: a field the schema types as an array
    (or one that repeats) becomes a list; a file part becomes its file name (a string)."""
    from email.parser import BytesParser
    from email import policy
    if "$ref" in schema:
        node = spec
        for key in schema["$ref"].lstrip("#/").split("/"):
            node = node[key]
        schema = node
    message = BytesParser(policy=policy.default).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        value = part.get_filename() or part.get_content()
        fields.setdefault(name, []).append(value if isinstance(value, str) else "")
    properties = schema.get("properties", {})
    return {name: values if (properties.get(name, {}).get("type") == "array" or len(values) > 1) else values[0]
            for name, values in fields.items()}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    spec_path, api_path, method = args[0], args[1], args[2].lower()
    spec = yaml.safe_load(open(spec_path))
    if "--oneof-as-anyof" in sys.argv:
        walk(spec, lambda d: d.__setitem__("anyOf", d.pop("oneOf")) if "oneOf" in d else None)
    if "--allof-open" in sys.argv:
        def open_allof(d):
            for part in d.get("allOf", []):
                if isinstance(part, dict) and "$ref" in part:
                    node = spec
                    for key in part["$ref"].lstrip("#/").split("/"):
                        node = node[key]
                    part = node
                if isinstance(part, dict) and part.get("additionalProperties") is False:
                    del part["additionalProperties"]
        walk(spec, open_allof)
    operation = spec["paths"][api_path][method]
    if "requestBody" in operation:
        body = operation["requestBody"]
        if "$ref" in body:
            body = spec["components"]["requestBodies"][body["$ref"].split("/")[-1]]
        media = "multipart/form-data" if "--multipart" in sys.argv else "application/json"
        schema = body["content"][media]["schema"]
    else:  # Swagger 2.0
        schema = next(p["schema"] for p in operation["parameters"] if p.get("in") == "body")
    for i, arg in enumerate(sys.argv):
        if arg == "--set":
            name, value = sys.argv[i + 1].split("=", 1)
            schema["properties"][name] = json.loads(value)
    validator = Draft202012Validator(schema, resolver=RefResolver(base_uri="", referrer=spec))
    if "--multipart" in sys.argv:
        instance = multipart_fields(sys.argv[sys.argv.index("--multipart") + 1], sys.stdin.buffer.read(), schema, spec)
    else:
        instance = json.load(sys.stdin)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    for e in errors:
        print("/".join(map(str, e.path)) + ": " + e.message)
    print("" if errors else "valid", end="")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
