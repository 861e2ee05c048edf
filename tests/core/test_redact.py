import pytest

from opscontext.redact import MASK, clip, redact


@pytest.mark.parametrize(
    "secret_text",
    [
        "DB_PASSWORD=hunter2",
        "api_key: 'abcd1234efgh'",
        "curl -H 'Authorization: Bearer abcdefghijklmnopqrstuv'",
        "postgres://admin:s3cret@db.internal:5432/orders",
        "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "AKIAIOSFODNN7EXAMPLE",
        "xoxb-123456789012-abcdefghijkl",
        "github_pat_11ABCDEFGHIJKLMNOPQRSTUVWXYZ0123",
        "notify https://hooks.slack.com/services/T000/B000/XXXXXXXXhunter2",
        "Authorization: Bearer abc.hunter2",
        "postgres://user:p@s3cret@db/x",
    ],
)
def test_secrets_in_untrusted_text_are_masked(secret_text: str) -> None:
    out = redact(secret_text) or ""
    assert MASK in out
    for needle in (
        "hunter2",
        "abcd1234efgh",
        "abcdefghijklmnopqrstuv",
        "s3cret",
        "ghp_abc",
        "AKIAIOSFODNN7EXAMPLE",
        "xoxb-1",
    ):
        assert needle not in out


def test_ordinary_prose_passes_unchanged() -> None:
    text = "Roll back payment-service to the previous version and watch p99 latency."
    assert redact(text) == text


def test_clip_marks_where_it_cut() -> None:
    assert clip("x" * 50, 10) == "x" * 9 + "…"
