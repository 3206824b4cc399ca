"""crm-funnel: command-line helpers around the dbt project (build, validate, generate)."""

__version__ = "0.1.0"
