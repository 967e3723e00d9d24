"""Load a run's layers in QGIS (PyQGIS, headless) and render them: run by the system Python that has QGIS.

``/usr/bin/python3 tests/geodata/qgis_load.py OUT_FOLDER [PNG]`` opens every ``*.geojson`` of ``OUT_FOLDER``
(QGIS picks up the ``.qml`` beside it) and every layer of its ``clusterkit.gpkg`` (QGIS picks up the default
style in ``layer_styles``), prints one JSON line per layer (name, valid, features, renderer type, labels), and
renders the GeoPackage's styled layers (groups, links, practices, moves) into ``PNG`` (with a line saying how
much of the image is coloured and how many colours a sample of its pixels has). The test
``tests/geodata/test_qgis.py`` runs it where ``import qgis.core`` works and skips otherwise.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(folder: Path, image: Path | None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsMapRendererParallelJob, QgsMapSettings,
                           QgsProject, QgsVectorLayer)
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    application = QgsApplication([], False)
    application.initQgis()
    loaded = {}
    for path in sorted(folder.glob("*.geojson")):
        layer = QgsVectorLayer(str(path), path.stem, "ogr")
        loaded[f"geojson:{path.stem}"] = layer
    package = folder / "clusterkit.gpkg"
    if package.is_file():
        probe = QgsVectorLayer(str(package), "probe", "ogr")
        for sub in probe.dataProvider().subLayers():
            name = sub.split("!!::!!")[1]
            if name == "layer_styles":
                continue
            loaded[f"gpkg:{name}"] = QgsVectorLayer(f"{package}|layername={name}", name, "ogr")
    for key, layer in loaded.items():
        renderer = layer.renderer() if layer.isValid() and layer.isSpatial() else None
        print(json.dumps({"layer": key, "valid": layer.isValid(), "spatial": layer.isSpatial(),
                          "features": layer.featureCount(), "crs": layer.crs().authid(),
                          "renderer": renderer.type() if renderer is not None else None,
                          "labels": bool(layer.labelsEnabled())}))
    if image is not None:
        order = ["moves", "practices", "links", "groups"]  # top first
        layers = [loaded[f"gpkg:{name}"] for name in order if f"gpkg:{name}" in loaded]
        for layer in layers:
            QgsProject.instance().addMapLayer(layer, False)
        settings = QgsMapSettings()
        settings.setLayers(layers)
        settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:27700"))
        extent = loaded["gpkg:groups"].extent() if "gpkg:groups" in loaded else layers[-1].extent()
        extent.scale(1.05)
        settings.setOutputSize(QSize(1600, 1300))
        settings.setExtent(extent)
        settings.setBackgroundColor(QColor(255, 255, 255))
        settings.setOutputDpi(110)
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        rendered = job.renderedImage()
        rendered.save(str(image), "png")
        sample = [rendered.pixel(x, y) for x in range(0, rendered.width(), 8) for y in range(0, rendered.height(), 8)]
        white = QColor(255, 255, 255).rgb()
        print(json.dumps({"image": str(image), "errors": [error.message for error in job.errors()],
                          "coloured_share": sum(pixel != white for pixel in sample) / len(sample),
                          "colours": len(set(sample))}))
    sys.stdout.flush()
    return 0  # without exitQgis: QGIS 3.22 may crash tearing itself down offscreen; the process just ends


if __name__ == "__main__":
    status = main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    sys.stdout.flush()
    os._exit(status)
