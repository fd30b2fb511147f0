from vbwd.services import passwords


def test_hash_is_argon2id_and_salted() -> None:
    first = passwords.hash_password("correct horse battery")
    second = passwords.hash_password("correct horse battery")
    assert first.startswith("$argon2id$")
    assert first != second  # a fresh salt each time
    assert "correct horse battery" not in first


def test_verify_accepts_the_password_and_refuses_others() -> None:
    stored = passwords.hash_password("s3cret-passw0rd")
    assert passwords.verify_password(stored, "s3cret-passw0rd")
    assert not passwords.verify_password(stored, "s3cret-passw0rd ")
    assert not passwords.verify_password(stored, "")


def test_verify_refuses_a_corrupt_hash_instead_of_raising() -> None:
    assert not passwords.verify_password("not-a-hash", "whatever")


def test_burn_time_runs_a_real_verification(monkeypatch) -> None:
    calls = []
    real = passwords.verify_password

    def spy(stored: str, password: str) -> bool:
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(passwords, "verify_password", spy)
    passwords.burn_time("guess")
    assert calls and calls[0].startswith("$argon2id$")
