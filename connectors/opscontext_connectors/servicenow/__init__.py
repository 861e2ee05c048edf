"""ServiceNow (Table API + On-Call Scheduling): CMDB services, CI relations, change requests,
open incidents per CI, and who is on call for assignment groups."""

from opscontext.registry import ConnectorSpec
from opscontext_connectors.servicenow.config import ServiceNowConfig
from opscontext_connectors.servicenow.connector import ServiceNowConnector

spec = ConnectorSpec(
    type="servicenow",
    summary="ServiceNow CMDB services, CI relations, change requests, incidents on CIs, on-call",
    config_model=ServiceNowConfig,
    factory=ServiceNowConnector,
    cacheable=True,
    example={
        "type": "servicenow",
        "url": "https://acme.service-now.com",
        "username": "opscontext.integration",
        "password": "change-me",
        "service_tables": ["cmdb_ci_service", "cmdb_ci_appl"],
    },
)

__all__ = ["ServiceNowConfig", "ServiceNowConnector", "spec"]
