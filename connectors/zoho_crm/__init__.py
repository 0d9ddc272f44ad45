"""The zoho_crm connector (being built)."""

from connectors.base import Connector, ConnectorInfo
from connectors.config_schema import object_schema


class _Building(Connector):
    def source(self, connection):
        raise NotImplementedError


connector = _Building(ConnectorInfo("zoho_crm", "crm", "bearer", object_schema({})))
