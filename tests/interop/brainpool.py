"""Brainpool test PKI made by Python `cryptography` (an independent implementation):
for each curve a root CA and a document-signing leaf it issues, and a second root that
issues nothing of these. Usage: brainpool.py DIR; writes {curve}-root.pem, {curve}-leaf.pem,
{curve}-leaf.key (PKCS#8), {curve}-other-root.pem for curve in bp256, bp384."""

import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

out = sys.argv[1]
now = datetime.datetime.now(datetime.timezone.utc)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def root(cn, curve, digest):
    key = ec.generate_private_key(curve)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(cn))
        .issuer_name(name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, digest)
    )
    return key, cert


def write(path, data):
    with open(f"{out}/{path}", "wb") as f:
        f.write(data)


for label, curve, digest in [("bp256", ec.BrainpoolP256R1(), hashes.SHA256()), ("bp384", ec.BrainpoolP384R1(), hashes.SHA384())]:
    ca_key, ca = root(f"Brainpool {label} Root", curve, digest)
    _, other = root(f"Brainpool {label} Other Root", curve, digest)
    leaf_key = ec.generate_private_key(curve)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name(f"Brainpool {label} Signer"))
        .issuer_name(ca.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, digest)
    )
    pem = serialization.Encoding.PEM
    write(f"{label}-root.pem", ca.public_bytes(pem))
    write(f"{label}-other-root.pem", other.public_bytes(pem))
    write(f"{label}-leaf.pem", leaf.public_bytes(pem))
    write(
        f"{label}-leaf.key",
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )
