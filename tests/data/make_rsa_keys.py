#!/usr/bin/env python3
"""Generates the RSA test keys in this folder (ring cannot generate RSA keys).

rsa-2048.key.pem  PKCS#8 private key, for RS256/PS256 signers built by the tests with rcgen.
rsa-1024.pub.pem  SubjectPublicKeyInfo of a 1024-bit key, for the weak-key rejection test.

Run once with Python `cryptography`; the outputs are committed, never hand-edited.
"""
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

here = Path(__file__).parent
k2048 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
(here / "rsa-2048.key.pem").write_bytes(
    k2048.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
)
k1024 = rsa.generate_private_key(public_exponent=65537, key_size=1024)
(here / "rsa-1024.pub.pem").write_bytes(
    k1024.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
)
