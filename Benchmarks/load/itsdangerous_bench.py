"""Python reference for the cookie benchmark: itsdangerous signing (Flask's session cookies)
and cryptography's AES-GCM, on the same machine and the same kind of value, one core.

Run: python3 Benchmarks/load/itsdangerous_bench.py
"""
import hashlib
import os
import secrets
import time

from itsdangerous import TimestampSigner
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

value = secrets.token_urlsafe(32)  # a 43-character session id, as Rampart's benchmark uses
signer = TimestampSigner(secrets.token_bytes(32), salt="cookie-session", digest_method=hashlib.sha256)
signed = signer.sign(value)
aes = AESGCM(AESGCM.generate_key(bit_length=256))
nonce = os.urandom(12)
sealed = aes.encrypt(nonce, value.encode(), b"__Host-session")


def measure(name, fn, n=100_000):
    best = None
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None or elapsed < best else best
    print(f"  {name:50} {int(n / best):>9} ops/s per core")


print("itsdangerous (Flask session signing) and cryptography AES-GCM, best of 5:")
measure("itsdangerous TimestampSigner.sign", lambda: signer.sign(value))
measure("itsdangerous TimestampSigner.unsign(max_age)", lambda: signer.unsign(signed, max_age=3600))
measure("cryptography AESGCM.encrypt (fresh nonce)", lambda: aes.encrypt(os.urandom(12), value.encode(), b"__Host-session"))
measure("cryptography AESGCM.decrypt", lambda: aes.decrypt(nonce, sealed, b"__Host-session"))
