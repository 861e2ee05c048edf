"""Planted secrets and the harmless text that must survive, shared by the security tests and
``benchmarks/probe_secrets.py``.

Every value is fake: built to the vendor's documented shape, never a real credential. A kind is
(text as it would appear, needles that must never come out). ``plant`` writes them into a copy of
the demo world in the places a real one carries them: change titles and links (CDEvents), runbook
bodies, catalog titles, descriptions and link URLs (Backstage), and alert annotations
(Alertmanager).
"""

from __future__ import annotations

import json
from pathlib import Path

A36 = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
HEX32 = "0123456789abcdef0123456789abcdef"

KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "aws_access_key_id": ("key id AKIAQ7EXAMPLE7KEYID0 in use", ("AKIAQ7EXAMPLE7KEYID0",)),
    "aws_secret_env": ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE", ("wJalrXUtnFEMI/K7MDENG",)),
    "aws_presigned_url": (
        "https://b.s3.amazonaws.com/x.tgz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAQ7EXAMPLE7SESSN0"
        "%2F20260310%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=9f1c2e8d7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e",
        ("ASIAQ7EXAMPLE7SESSN0", "9f1c2e8d7b6a5f4e3d2c1b0a9f8e7d6c"),
    ),
    "gcp_api_key": ("maps key AIzaSyA" + "b" * 32 + " configured", ("AIzaSyA" + "b" * 32,)),
    "gcp_oauth_token": ("ya29.a0AfB_byC" + "x" * 40, ("ya29.a0AfB_byC",)),
    "azure_storage_connection": (
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Zm9vYmFyYmF6cXV4cXV1eA01234567+/AB==;"
        "EndpointSuffix=core.windows.net",
        ("Zm9vYmFyYmF6cXV4cXV1eA01234567",),
    ),
    "azure_sas_url": (
        "https://acme.blob.core.windows.net/c/b?sv=2022-11-02&sr=b&sp=r&sig=Q2hhbmdlTWVQbGVhc2VTaWduYXR1cmU%3D",
        ("Q2hhbmdlTWVQbGVhc2VTaWduYXR1cmU",),
    ),
    "github_token": ("cloned with ghp_" + A36, ("ghp_" + A36[:20],)),
    "gitlab_token": ("CI_TOKEN glpat-Ab12Cd34Ef56Gh78Ij90", ("glpat-Ab12Cd34Ef56Gh78Ij90",)),
    "slack_token": ("bot xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", ("AbCdEfGhIjKlMnOpQrStUvWx",)),
    "slack_webhook": (
        "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx",
        ("abcdefghijklmnopqrstuvwx",),
    ),
    "dynatrace_token": (
        "Api-Token dt0c01.ST2EY72KQINMH574WMNVI7YN.G3DFPBEJYMODIDAEX454M7YWBUVEFOWKPRVMWFASS64NFH52PX6BNDVFFM572RZM",
        ("ST2EY72KQINMH574WMNVI7YN", "G3DFPBEJYMODIDAEX454M7YW"),
    ),
    "pagerduty_key": ("Authorization: Token token=y_NbAkKc66ryYTWUXYEu", ("y_NbAkKc66ryYTWUXYEu",)),
    "datadog_key": ("DD-APPLICATION-KEY: " + HEX32 + "01234567", (HEX32,)),
    "stripe_key": ("charge with sk_live_4eC39HqLyjWDarjtT1zdp7dc", ("4eC39HqLyjWDarjtT1zdp7dc",)),
    "twilio_key": ("twilio SK" + HEX32.upper()[:32], ("SK" + HEX32.upper()[:32],)),
    "sendgrid_key": ("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", ("TwL2iGABf9DHoTf",)),
    "npm_token": ("//registry.npmjs.org/:_authToken=npm_" + A36, ("npm_" + A36[:20],)),
    "pypi_token": ("twine upload -p pypi-AgEIcHlwaS5vcmc" + "Q" * 60, ("pypi-AgEIcHlwaS5vcmc",)),
    "jwt": (
        "session eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV",
        ("SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV", "eyJzdWIiOiIxMjM0NTY3ODkwIn0"),
    ),
    "pem_private_key": (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bqPemBodyLine\n-----END RSA PRIVATE KEY-----",
        ("MIIEowIBAAKCAQEA7bqPemBodyLine",),
    ),
    "postgres_url": ("postgres://orders:Hunter2Secret@db.internal:5432/orders", ("Hunter2Secret",)),
    "mongodb_srv_url": ("mongodb+srv://app:M0ngoPassw0rd@cluster0.abcde.mongodb.net/db", ("M0ngoPassw0rd",)),
    "ado_connection": ("Server=tcp:sql.example,1433;User ID=app;Password=Ad0Secret!x;Encrypt=true", ("Ad0Secret!x",)),
    "pgpassword_env": ("PGPASSWORD=pgS3cretValue psql -h db", ("pgS3cretValue",)),
    "mysql_pwd_env": ("MYSQL_PWD=myS3cretValue mysql -h db", ("myS3cretValue",)),
    "json_password": ('{"db_password": "js0nS3cretValue", "user": "app"}', ("js0nS3cretValue",)),
    "yaml_password": ("password: yamlS3cretValue", ("yamlS3cretValue",)),
    "url_userinfo": ("https://deploy:Us3rinfoS3cret@git.example.com/repo.git", ("Us3rinfoS3cret",)),
    "url_token_param": (
        "https://api.example.com/v1/export?format=csv&token=QueryT0kenValue123",
        ("QueryT0kenValue123",),
    ),
    "url_api_key_param": ("https://maps.example.com/api?api_key=ApiK3yValue98765&q=x", ("ApiK3yValue98765",)),
    "bearer_header": ("Authorization: Bearer 0a1b2c3d4e5f6a7b8c9d0e1f", ("0a1b2c3d4e5f6a7b8c9d0e1f",)),
    "basic_header": ("Authorization: Basic ZGVwbG95OnMzY3JldA==", ("ZGVwbG95OnMzY3JldA",)),
    "base64_userpass": ("upstream said invalid credentials YWRtaW46aHVudGVyMg==", ("YWRtaW46aHVudGVyMg",)),
    "card_number": ("refund to card 4111 1111 1111 1111 failed", ("4111 1111 1111 1111",)),
    "card_number_compact": ("card 5500005555555559 declined", ("5500005555555559",)),
    "sk_api_key": ("OPENAI_KEY sk-proj-" + A36 + "xyz", ("sk-proj-" + A36[:20],)),
}

# Text that must come through untouched: reaching people and finding things is the product.
NEGATIVES = [
    "Page dana.reyes@larkspur.example or call +1-555-0109",
    "started 2026-03-10T13:45:00Z, epoch 1741614300000",
    "order id 4111111111111112 (fails Luhn) and ticket 1234567890123456",
    "change 4753b423-0c0a-4e5e-8c4f-6a2f5d8e9b11 at commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
    "https://grafana.larkspur.example/d/payment-service/overview?orgId=1&from=now-1h",
    "Roll back payment-service 2.14.0 -> 2.13.2 and watch p99 latency on 10.0.0.12:8080",
    "Author: Marcus Webb; escalate to the Paystream vendor bridge after 45 minutes",
    'asked max_tokens=600; the briefing took "total_tokens": 1975',
    'tool=incident_context args={"subject": "payment-service", "max_tokens": "1500"}',
]

URL_KINDS = [k for k, (text, _) in KINDS.items() if "://" in text and " " not in text]


def plant(world: Path) -> None:
    """Write every kind into a copy of the demo world, one planted item per kind and place."""
    anchor = "2026-03-10T13:55:00Z"
    with (world / "changes" / "changes.jsonl").open("a") as changes:
        for i, (kind, (text, _)) in enumerate(KINDS.items()):
            url = text if kind in URL_KINDS else f"https://ci.example/run/{i}"
            event = {
                "context": {
                    "version": "0.3.0",
                    "id": f"planted-{i}",
                    "source": "https://ci.example",
                    "type": "dev.cdevents.service.deployed.0.1.1",
                    "timestamp": anchor,
                },
                "subject": {
                    "id": "payment-service",
                    "type": "service",
                    "content": {"environment": {"id": "prod"}, "artifactId": f"pkg:oci/p@{i}"},
                },
                "customData": {
                    "author": "kenji.mori",
                    "url": url,
                    "service": "payment-service",
                    "title": f"zzk{i} deploy {text}",
                },
            }
            changes.write(json.dumps(event) + "\n")
    for i, (_kind, (text, _)) in enumerate(KINDS.items()):
        (world / "runbooks" / f"zz-planted-{i}.md").write_text(
            f"---\ntitle: Planted zzk{i}\nservices: [payment-service]\n---\n## Rotate zzk{i}\nRun this: {text}\n"
        )
    docs = []
    for i, (kind, (text, _)) in enumerate(KINDS.items()):
        url = text if kind in URL_KINDS else f"https://wiki.example/p{i}"
        docs.append(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
            f"  name: planted-{i}\n  title: {json.dumps('Planted ' + text)}\n"
            f"  description: {json.dumps(text)}\n"
            f"  links:\n  - url: {json.dumps(url)}\n    title: {json.dumps('notes ' + text)}\n    type: runbook\n"
            "spec:\n  type: service\n  owner: group:default/payments\n  lifecycle: production\n"
        )
    (world / "catalog" / "planted").mkdir()
    (world / "catalog" / "planted" / "catalog-info.yaml").write_text("---\n" + "---\n".join(docs))
    alerts = [
        {
            "labels": {"alertname": f"Planted{i}", "severity": "critical", "service": "payment-service"},
            "annotations": {"summary": f"zzk{i} {text}", "description": text},
            "startsAt": "2026-03-10T13:56:00.000Z",
            "endsAt": "2026-03-10T14:10:00.000Z",
            "updatedAt": "2026-03-10T14:00:00.000Z",
            "fingerprint": f"{i:016x}",
            "generatorURL": text if kind in URL_KINDS else "http://prometheus:9090/graph",
            "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
            "receivers": [{"name": "x"}],
        }
        for i, (kind, (text, _)) in enumerate(KINDS.items())
    ]
    (world / "alerts" / "alerts-20260310T140100Z.json").write_text(json.dumps(alerts))


def leaked(kind: str, text: str) -> bool:
    """True when any needle of ``kind`` appears in ``text``."""
    return any(needle in text for needle in KINDS[kind][1])
