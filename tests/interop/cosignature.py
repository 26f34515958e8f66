"""Checks a witness cosignature (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1) with
Python's `cryptography`, written from the spec alone: an implementation independent of
mrgate's.

    python3 cosignature.py VKEY NOTE_FILE

VKEY is the witness's verifier key (<name>+<key id, 8 hex>+base64(0x04 || key)); NOTE_FILE a
checkpoint with the witness's cosignature line among its signature lines. Prints the
cosignature's timestamp and exits 0 when it verifies; exits 1 saying why otherwise.
"""

import base64
import hashlib
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def fail(why):
    print(why, file=sys.stderr)
    sys.exit(1)


def main():
    vkey, note_path = sys.argv[1], sys.argv[2]
    name, key_id_hex, material = vkey.strip().split("+", 2)
    material = base64.b64decode(material, validate=True)
    if len(material) != 33 or material[0] != 0x04:
        fail("not an Ed25519 cosignature/v1 verifier key")
    public = material[1:]
    # The key ID: SHA-256(name || "\n" || 0x04 || public key)[:4].
    key_id = hashlib.sha256(name.encode() + b"\n" + b"\x04" + public).digest()[:4]
    if key_id.hex() != key_id_hex:
        fail("the verifier key's id does not match its name and key")
    note = open(note_path, encoding="utf-8").read()
    body, _, signatures = note.partition("\n\n")
    body += "\n"
    for line in signatures.splitlines():
        if not line.startswith("\u2014 " + name + " "):
            continue
        blob = base64.b64decode(line.rsplit(" ", 1)[1], validate=True)
        if len(blob) != 4 + 8 + 64 or blob[:4] != key_id:
            continue
        (timestamp,) = struct.unpack(">Q", blob[4:12])
        if timestamp > 2**63 - 1:
            fail("the timestamp is past 2^63 - 1")
        message = f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(blob[12:], message)
        except InvalidSignature:
            fail("the cosignature does not verify")
        print(timestamp)
        return
    fail("no cosignature line of " + name)


if __name__ == "__main__":
    main()
