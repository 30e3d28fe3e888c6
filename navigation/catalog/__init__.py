"""The exam catalog: exam types and their preparation rules, as versioned data."""

from navigation.catalog.loading import CatalogError, load_demo_catalog, parse_catalog
from navigation.catalog.model import AfterRule, Catalog, ExamType, Requirement, ServiceStep

__all__ = [
    "AfterRule",
    "Catalog",
    "CatalogError",
    "ExamType",
    "Requirement",
    "ServiceStep",
    "load_demo_catalog",
    "parse_catalog",
]
