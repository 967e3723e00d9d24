"""Readers: practices (CSV, GeoJSON, GeoPackage), relations, groupings, hub lists and the budget tables."""
