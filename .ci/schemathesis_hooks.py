"""Schemathesis hooks for mrgate's media types (loaded by .ci/schemathesis.sh through
SCHEMATHESIS_HOOKS): credentials and notices are compact JWS text, and a batch is NDJSON,
one JSON value per line (the description states the lines as an array)."""
import json

import schemathesis

schemathesis.serializer.alias(["application/vc+jwt", "application/jose"], "text/plain")


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, list):
        return "".join(json.dumps(line) + "\n" for line in value).encode()
    if isinstance(value, bytes):
        return value
    # Anything but an array (a negative case) goes out as one line.
    return (json.dumps(value) + "\n").encode()


@schemathesis.serializer("application/xml")
def xml_document(ctx, value):
    # The gateway's XML bodies are whole documents, described as strings: sent as they are,
    # not wrapped in an element as schemathesis does for objects mapped to XML.
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return json.dumps(value).encode()
