"""GitHub (REST API v3): deployments and releases of configured repositories, as changes."""

from opscontext.registry import ConnectorSpec
from opscontext_connectors.github.config import GitHubConfig
from opscontext_connectors.github.connector import GitHubConnector

spec = ConnectorSpec(
    type="github",
    summary="GitHub deployments and releases of repositories mapped to services",
    config_model=GitHubConfig,
    factory=GitHubConnector,
    cacheable=True,
    example={
        "type": "github",
        "url": "https://api.github.com",
        "token": "github_pat_example",
        "repositories": {"acme/payment-service": "payment-service"},
        "environments": ["production"],
    },
)

__all__ = ["GitHubConfig", "GitHubConnector", "spec"]
