#!/usr/bin/env python3
"""Validates a JSON request body against an operation of an AWS service model (botocore's own
validator), such as Amazon SES v2's SendEmail from Tests/Specs/ses-v2-service-2.json.

usage: check_ses_model.py MODEL.json OPERATION < body.json     (exit 0 and "ok" when valid)
"""
import json, sys
from botocore.model import ServiceModel
from botocore.validate import ParamValidator

model = ServiceModel(json.load(open(sys.argv[1])))
operation = model.operation_model(sys.argv[2])
body = json.load(sys.stdin)
report = ParamValidator().validate(body, operation.input_shape)
if report.has_errors():
    print(report.generate_report())
    sys.exit(1)
print("ok")
