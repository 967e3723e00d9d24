"""Group polygons: they tile the study area (no gap, no overlap), shared sites keep groups in one piece, and a
boundary layer is read or refused in one line."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterkit.errors import InputError
from clusterkit.model.coordinates import to_wgs84
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.practice import Practice
from geodata.polygons import _shared_edge, group_polygons, read_boundary, site_cells, study_boundary


def graph_at(xy: list[tuple[float, float]] | np.ndarray) -> PracticeGraph:
    """Practices P000, P001, ... at British National Grid metres around Manchester."""
    points = np.asarray(xy, dtype=float) + np.array([384_000.0, 398_000.0])
    lat, lon = to_wgs84(points[:, 0], points[:, 1])
    return PracticeGraph.from_practices(
        Practice(f"P{i:03d}", f"PRACTICE {i}", float(la), float(lo), float(x), float(y), 5_000, 600_000.0)
        for i, ((x, y), la, lo) in enumerate(zip(points, lat, lon)))


def assert_tiles(areas, boundary, tolerance: float = 1e-5) -> None:
    """Valid polygons, no overlap (sum of areas = area of the union) and no gap (union = boundary), to within
    the centimetre grid the groups are united on."""
    shapes = [shape for shape in areas.geometry if not shape.is_empty]
    assert all(shape.is_valid for shape in shapes)
    total = sum(shape.area for shape in shapes)
    union = shapely.union_all(shapes).area
    assert total == pytest.approx(boundary.area, rel=tolerance)
    assert union == pytest.approx(total, rel=tolerance)


def test_a_shared_site_keeps_each_group_in_one_piece() -> None:
    # a and b share a health centre; a's group lies west of it, b's east: each group must stay one piece
    graph = graph_at([(0, 0), (0, 0), (-1000, 0), (1000, 0), (0, 1200), (0, -1200)])
    labels = {"P000": "A", "P001": "B", "P002": "A", "P003": "B", "P004": "C", "P005": "C"}
    areas = group_polygons(graph, labels).set_index("group")
    assert areas.loc["A", "parts"] == 1 and areas.loc["B", "parts"] == 1
    assert areas.loc["A"].geometry.centroid.x < areas.loc["B"].geometry.centroid.x
    assert_tiles(areas, study_boundary(graph))


def test_a_group_alone_at_a_shared_site_still_gets_an_area() -> None:
    graph = graph_at([(0, 0), (0, 0), (0, 0), (-1000, 0), (1000, 0)])
    labels = {"P000": "A", "P001": "B", "P002": "LONE", "P003": "A", "P004": "B"}
    areas = group_polygons(graph, labels).set_index("group")
    assert areas.loc["LONE", "area_km2"] > 0 and areas.loc["LONE", "parts"] == 1
    assert (areas["parts"] == 1).all()


def test_polygons_are_counter_clockwise_and_sorted_by_group() -> None:
    graph = graph_at([(0, 0), (500, 300), (2000, 0), (2500, 900)])
    areas = group_polygons(graph, {"P000": "N2", "P001": "N2", "P002": "N1", "P003": "N1"})
    assert areas["group"].tolist() == ["N1", "N2"]
    assert areas.crs.to_epsg() == 27700
    for shape in areas.geometry:
        for polygon in shapely.get_parts(shape):
            assert polygon.exterior.is_ccw
            assert all(not ring.is_ccw for ring in polygon.interiors)


def test_ungrouped_practices_make_a_group_of_their_own() -> None:
    graph = graph_at([(0, 0), (1000, 0), (2000, 0)])
    areas = group_polygons(graph, {"P000": "N1", "P001": ""})
    assert areas["group"].tolist() == ["", "N1"]
    assert_tiles(areas, study_boundary(graph))


def test_a_single_practice_gets_the_whole_area() -> None:
    graph = graph_at([(0, 0)])
    areas = group_polygons(graph, {"P000": "N1"})
    assert areas.geometry[0].area == pytest.approx(study_boundary(graph).area)


def test_a_boundary_clips_the_areas_and_leaves_outside_groups_empty() -> None:
    graph = graph_at([(0, 0), (1000, 0), (2000, 0), (50_000, 0)])
    boundary = shapely.box(383_000, 397_000, 387_500, 399_000)
    areas = group_polygons(graph, {"P000": "N1", "P001": "N1", "P002": "N2", "P003": "FAR"}, boundary)
    assert areas.set_index("group").loc["FAR", "parts"] == 0
    assert_tiles(areas, boundary)


coordinates = st.tuples(st.integers(0, 12), st.integers(0, 12)).map(lambda p: (p[0] * 400.0, p[1] * 400.0))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(coordinates, st.sampled_from("ABCD")), min_size=1, max_size=40))
def test_polygons_tile_the_study_area_for_any_points(practices) -> None:
    """Random practices on a coarse grid, so that many share a site, in up to four groups."""
    graph = graph_at([xy for xy, _ in practices])
    labels = {code: label for code, (_, label) in zip(graph.codes, practices)}
    areas = group_polygons(graph, labels)
    assert sorted(areas["group"]) == sorted(set(labels.values()))
    assert_tiles(areas, study_boundary(graph))
    assert (areas["parts"] >= 1).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(coordinates, st.sampled_from("ABC")), min_size=2, max_size=30))
def test_a_group_at_two_neighbouring_sites_is_joined_across_their_edge(practices) -> None:
    """The shared-site rule: where two sites' cells share an edge and both hold a group, the group's area
    crosses that edge at the point both sites chose for it (from each site's side to the other's)."""
    graph = graph_at([xy for xy, _ in practices])
    labels = {code: label for code, (_, label) in zip(graph.codes, practices)}
    site_of, centres, cells = site_cells(graph.xy, study_boundary(graph))
    groups_at: dict[int, set[str]] = {}
    for code, site in zip(graph.codes, site_of.tolist()):
        groups_at.setdefault(site, set()).add(labels[code])
    areas = group_polygons(graph, labels).set_index("group")
    for s in groups_at:
        for t in groups_at:
            edge = _shared_edge(cells[s], cells[t]) if s < t else None
            if edge is None or edge.length < 1.0:
                continue
            common = sorted(groups_at[s] & groups_at[t])
            for position, group in enumerate(common):
                point = np.array(edge.interpolate((position + 0.5) / len(common), normalized=True).coords[0])
                ends = [point + 0.5 * (centres[site] - point) / np.hypot(*(centres[site] - point)) for site in (s, t)]
                assert areas.loc[group].geometry.buffer(0.02).contains(shapely.linestrings(ends)), (group, s, t)


def test_group_polygons_of_a_real_icb_tile_its_hull(nhs_graph: PracticeGraph) -> None:
    qop = nhs_graph.select(icb=["QOP"])
    started = time.perf_counter()
    labels = {p.code: p.group or "" for p in qop.practices}
    areas = group_polygons(qop, labels)
    seconds = time.perf_counter() - started
    assert len(areas) == len(set(labels.values()))
    assert areas.geometry.is_valid.all()
    union = shapely.union_all(areas.geometry.values).area
    assert union == pytest.approx(areas.geometry.area.sum(), rel=1e-3)
    assert union == pytest.approx(study_boundary(qop).area, rel=1e-3)
    assert seconds < 20


# ---------------------------------------------------------------------------------------------- boundaries
def _write(path: Path, document: dict) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_read_boundary_unites_the_polygons_of_a_layer_in_bng(tmp_path: Path) -> None:
    square = [[[-2.3, 53.4], [-2.1, 53.4], [-2.1, 53.6], [-2.3, 53.6], [-2.3, 53.4]]]
    path = _write(tmp_path / "icb.geojson", {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"icb": "QOP"}, "geometry": {"type": "Polygon", "coordinates": square}}]})
    area = read_boundary(path)
    assert 360_000 < area.centroid.x < 400_000 and 390_000 < area.centroid.y < 420_000
    assert area.area / 1e6 == pytest.approx(13.3 * 22.2, rel=0.1)


@pytest.mark.parametrize("content, message", [
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                                  "geometry": {"type": "Point", "coordinates": [-2.2, 53.5]}}]},
     "holds no polygon but Point"),
    ("not a layer at all", "cannot be read as a polygon layer"),
])
def test_read_boundary_refuses_what_is_not_a_polygon_layer(tmp_path: Path, content, message: str) -> None:
    path = tmp_path / "boundary.geojson"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        read_boundary(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_read_boundary_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_boundary(tmp_path / "missing.gpkg")


def test_a_real_grouping_draws_its_connected_groups_in_one_piece(nhs_graph: PracticeGraph) -> None:
    """QOP grouped on the Delaunay of its 406 practices (shared sites included): every group connected on the
    adjacency is one polygon, bar at most one whose Delaunay edge runs where the two cells do not meet (near
    the hull, an edge whose cells touch only outside the study area)."""
    from clusterkit.runs import run_grouping

    run = run_grouping(nhs_graph.select(icb=["QOP"]).with_adjacency(), effort="quick", workers=1)
    areas = group_polygons(run.graph, run.result.labels).set_index("group")
    connected = [row.group for row in run.metrics.rows if row.connected]
    assert sum(areas.loc[group, "parts"] > 1 for group in connected) <= 1
