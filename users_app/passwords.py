"""Password hashing (Argon2id at OWASP's parameters) and the passwords nobody may choose."""

import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

# OWASP Password Storage Cheat Sheet: Argon2id, 19 MiB, 2 iterations, 1 lane.
hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# A hash to verify against when the login does not exist, so both cases take the same time.
_DUMMY_HASH = hasher.hash("not a real password, only here for timing")

MIN_LENGTH = 8
MAX_LENGTH = 256

# The most common passwords of public breach lists that are at least MIN_LENGTH long.
COMMON_PASSWORDS = frozenset(
    """
    password 12345678 123456789 1234567890 qwertyuiop password1 password123 iloveyou1 11111111
    00000000 88888888 87654321 12341234 11223344 1q2w3e4r 1q2w3e4r5t qwerty123 qwerty12 abcd1234
    abc12345 sunshine princess1 football1 baseball1 welcome1 welcome123 admin123 administrator
    passw0rd p@ssw0rd p@ssword letmein1 trustno1 superman1 starwars1 whatever1 dragon123 monkey123
    iloveyou 123123123 qazwsxedc 1qaz2wsx zaq12wsx q1w2e3r4 q1w2e3r4t5 asdfghjkl zxcvbnm1 changeme
    changeme1 secret123 computer internet football baseball superman michelle jennifer 123qweasd
    qweasdzxc shop1234 password! Password1 Password123 senha123 senha1234 12345678910 mudar123
    """.split()
)


def hash_password(password: str) -> str:
    return hasher.hash(_normal(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; spends the same time when there is no user, or no hash (an
    erased account's is empty). A hash made before passwords were normalized matches the text as it
    was typed then (its form is tried too, when it is not the normal one)."""
    forms = dict.fromkeys((_normal(password), password))
    return any(_matches(password_hash, form) for form in forms)


def _normal(password: str) -> str:
    """The password in Unicode's NFKC, as NIST SP 800-63B asks: "ç" typed as one character or as "c" and
    an accent (one device's keyboard and another's) is the same password."""
    return unicodedata.normalize("NFKC", password)


def _matches(password_hash: str | None, password: str) -> bool:
    try:
        return hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, login: str = "") -> str | None:
    """Why `password` may not be used, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(min)d characters.", min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(max)d characters.", max=MAX_LENGTH)
    if password.lower() in {p.lower() for p in COMMON_PASSWORDS} or (login and password.lower() == login.lower()):
        return _("This password is too common or too easy to guess; choose another.")
    return None
