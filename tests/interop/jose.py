#!/usr/bin/env python3
"""Independent JOSE implementation for mrgate's interop tests (Python joserfc).

  jose.py verify CERT_PEM ALG TOKEN_FILE    -> prints the payload, exit 0 if the JWS verifies
  jose.py sign KEY_PEM ALG CERT_PEM PAYLOAD_FILE [TYP [CTY]]
                                            -> prints a compact JWS with typ TYP (vc+jwt), cty CTY (vc), x5c
"""
import base64
import sys
import warnings

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey


def load_key(pem: bytes, alg: str):
    return OKPKey.import_key(pem) if alg == "EdDSA" else ECKey.import_key(pem)


# joserfc warns that the "EdDSA" name is deprecated in favour of "Ed25519" (RFC 9864);
# VC-JOSE deployments still write EdDSA, so both sides keep using it here.
warnings.filterwarnings("ignore", message=".*EdDSA is deprecated.*")


def main() -> int:
    cmd = sys.argv[1]
    if cmd == "verify":
        cert_pem, alg, token_file = sys.argv[2:5]
        public = x509.load_pem_x509_certificate(open(cert_pem, "rb").read()).public_key()
        pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        key = load_key(pem, alg)
        token = open(token_file).read().strip()
        # x5c makes headers larger than joserfc's default 512-byte bound.
        registry = jws.JWSRegistry(algorithms=[alg])
        registry.max_header_length = 16384
        obj = jws.deserialize_compact(token, key, registry=registry)
        if obj.headers().get("typ") != "vc+jwt":
            print("typ is not vc+jwt", file=sys.stderr)
            return 1
        sys.stdout.write(obj.payload.decode())
        return 0
    if cmd == "sign":
        key_pem, alg, cert_pem, payload_file = sys.argv[2:6]
        typ = sys.argv[6] if len(sys.argv) > 6 else "vc+jwt"
        cty = sys.argv[7] if len(sys.argv) > 7 else "vc"
        key = load_key(open(key_pem, "rb").read(), alg)
        cert = x509.load_pem_x509_certificate(open(cert_pem, "rb").read())
        der = cert.public_bytes(serialization.Encoding.DER)
        header = {"alg": alg, "typ": typ, "cty": cty, "x5c": [base64.b64encode(der).decode()]}
        print(jws.serialize_compact(header, open(payload_file, "rb").read(), key, algorithms=[alg]))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
