"""Writers: atomic files, CSV tables, RFC 7946 GeoJSON and the output sets of each command."""
