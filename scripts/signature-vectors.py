#!/usr/bin/env python3
"""Writes auth-runtime/src/verifier/vectors.json: JWS signatures made by OpenSSL (through
Python's `cryptography`), an implementation independent of both signature backends, so that
the verifier's unit tests check each backend against a third party, not against itself.

    python3 scripts/signature-vectors.py      # needs `pip install cryptography`

The keys are the repository's test-only keys (tests/keys/), plus a 1024-bit RSA key made here
whose private half is thrown away: it only shows that both backends refuse a short modulus.
Signatures of PSS and ECDSA are randomised, so a re-run changes the file but not the tests.
"""
import base64
import json
import pathlib

from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ROOT = pathlib.Path(__file__).resolve().parent.parent
KEYS = ROOT / "tests" / "keys"
OUT = ROOT / "auth-runtime" / "src" / "verifier" / "vectors.json"
# 64 bytes: at least the hash size of every HMAC algorithm (RFC 7518 §3.2).
HMAC_SECRET = b"TEST-ONLY secret of the signature vectors: it protects nothing!!"
assert len(HMAC_SECRET) == 64


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def private(name: str):
    return serialization.load_pem_private_key((KEYS / name).read_bytes(), password=None)


def public_pem(key) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
rsa_key = private("TEST-ONLY-rsa-private.pem")
p256_key = private("TEST-ONLY-p256-private.pem")
p384_key = private("TEST-ONLY-p384-private.pem")
ed_key = private("TEST-ONLY-ed25519-private.pem")


def sign(alg: str, message: bytes, pss_salt=None) -> bytes:
    family, size = alg[:2], alg[2:]
    if family == "HS":
        mac = hmac.HMAC(HMAC_SECRET, HASHES[size]())
        mac.update(message)
        return mac.finalize()
    if family == "RS":
        return rsa_key.sign(message, padding.PKCS1v15(), HASHES[size]())
    if family == "PS":
        digest = HASHES[size]()
        salt = digest.digest_size if pss_salt is None else pss_salt
        return rsa_key.sign(
            message, padding.PSS(mgf=padding.MGF1(HASHES[size]()), salt_length=salt), digest
        )
    if family == "ES":
        key, width = (p256_key, 32) if size == "256" else (p384_key, 48)
        r, s = decode_dss_signature(key.sign(message, ec.ECDSA(HASHES[size]())))
        return r.to_bytes(width, "big") + s.to_bytes(width, "big")
    if alg == "EdDSA":
        return ed_key.sign(message)
    raise ValueError(alg)


def token(alg: str, **kwargs) -> str:
    header = b64(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    claims = b64(json.dumps({"sub": "vector", "alg_under_test": alg}, separators=(",", ":")).encode())
    message = f"{header}.{claims}"
    return f"{message}.{b64(sign(alg, message.encode(), **kwargs))}"


ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
        "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]
short_rsa = rsa.generate_private_key(public_exponent=65537, key_size=1024)
vectors = {
    "generated_by": "scripts/signature-vectors.py (OpenSSL through Python cryptography)",
    "keys": {
        "hmac": b64(HMAC_SECRET),
        "rsa": public_pem(rsa_key),
        "p256": public_pem(p256_key),
        "p384": public_pem(p384_key),
        "ed25519": public_pem(ed_key),
        "rsa1024": public_pem(short_rsa),
    },
    "valid": {alg: token(alg) for alg in ALGS},
    # RFC 7518 §3.5: the salt is as long as the hash. A salt of another length is refused.
    "pss_other_salt": {alg: token(alg, pss_salt=salt)
                       for alg, salt in [("PS256", 0), ("PS384", 20), ("PS512", 32)]},
}
OUT.write_text(json.dumps(vectors, indent=2) + "\n")
print(f"wrote {OUT.relative_to(ROOT)}")
