"""Built-in connectors, one package per vendor or format.

Each package exports a ``ConnectorSpec`` registered under the ``opscontext.connectors`` entry-point
group in pyproject.toml, exactly as a third-party connector would be. Inside a package, the HTTP
client or file reader, the vendor's wire models and the wire -> domain mapping live apart.
"""
