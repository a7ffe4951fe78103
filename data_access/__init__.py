"""Everything that talks to the reporting database: engine, schema, queries, demo data, importers."""
