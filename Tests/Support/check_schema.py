#!/usr/bin/env python3
"""Validates YAML files against a JSON Schema: check_schema.py SCHEMA.json FILE.yaml…
Prints one line per problem and exits 1 if there is any."""
import json, sys
import yaml
from jsonschema import Draft202012Validator

validator = Draft202012Validator(json.load(open(sys.argv[1])))
problems = 0
for path in sys.argv[2:]:
    for error in validator.iter_errors(yaml.safe_load(open(path))):
        problems += 1
        print("%s: %s: %s" % (path, "/".join(map(str, error.path)), error.message))
sys.exit(1 if problems else 0)
