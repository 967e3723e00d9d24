"""Writers: atomic files and output sets, CSV tables, the map layers of a run (RFC 7946 GeoJSON, the GeoPackage,
QGIS styles) and the registry of each command's files."""
