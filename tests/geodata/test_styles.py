"""QGIS styles: well-formed QML with the renderers, categories, sizes and labels the layers need; colours that
keep neighbouring groups apart."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import networkx as nx
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterkit.runs import run_grouping
from clusterkit.synthetic import synthetic_county, synthetic_relations
from geodata.write import styles
from geodata.write.run_layers import layers_of


def parsed(qml: str) -> ET.Element:
    assert qml.startswith("<!DOCTYPE qgis")
    return ET.fromstring(qml.split("\n", 1)[1])


def symbol_colours(root: ET.Element) -> list[str]:
    """The fill or line colour of each symbol, ``r,g,b`` (without its opacity)."""
    return [option.get("value").rsplit(",", 1)[0] for option in root.iter("Option")
            if option.get("name") in ("color", "line_color")]


@pytest.fixture(scope="module")
def run():
    county = synthetic_county(seed=5)
    graph = county.with_relations(synthetic_relations(county, seed=5)).with_adjacency()
    return run_grouping(graph, seed=5, workers=1, effort="quick")


def test_practices_are_categorised_by_group_and_sized_by_list_size(run) -> None:
    layer = next(layer for layer in layers_of(run) if layer.name == "practices")
    root = parsed(layer.style)
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "group"
    values = [category.get("value") for category in renderer.iter("category")]
    assert values == [*sorted(set(run.result.labels.values()) - {""}), ""]  # "" catches the ungrouped
    expressions = [option.get("value") for option in root.iter("Option") if option.get("name") == "expression"]
    assert all('"list_size"' in expression for expression in expressions) and len(expressions) == len(values) - 1


def test_groups_are_filled_labelled_and_marked(run) -> None:
    root = parsed(next(layer for layer in layers_of(run) if layer.name == "groups").style)
    assert root.find("renderer-v2").get("type") == "RuleRenderer" and root.get("labelsEnabled") == "1"
    labels = [rule.get("label") for rule in root.iter("rule")]
    assert labels[-2:] == ["outside its band", "not connected on the adjacency of practices"]
    assert len(labels) == run.metrics.groups + 2
    field = root.find("labeling/settings/text-style").get("fieldName")
    assert '"group"' in field and 'format_number("population", 0)' in field


def test_links_by_kind_inside_and_across(run) -> None:
    root = parsed(next(layer for layer in layers_of(run) if layer.name == "links").style)
    filters = [rule.get("filter") for rule in root.iter("rule")]
    assert filters == ['"kind" = \'alignment\' AND "inside"', '"kind" = \'alignment\' AND NOT "inside"',
                       '"kind" = \'shared_staff\' AND "inside"', '"kind" = \'shared_staff\' AND NOT "inside"']
    styles_of_lines = [option.get("value") for option in root.iter("Option") if option.get("name") == "line_style"]
    assert styles_of_lines == ["solid", "dash", "solid", "dash"]


def test_moves_are_stars_in_the_new_groups_colour(run) -> None:
    root = parsed(next(layer for layer in layers_of(run) if layer.name == "moves").style)
    assert root.find("renderer-v2").get("attr") == "group_new"
    shapes = {option.get("value") for option in root.iter("Option") if option.get("name") == "name"
              and option.get("value")}
    assert shapes == {"star"}


def test_touching_groups_never_share_a_colour(run) -> None:
    layers = {layer.name: layer for layer in layers_of(run)}
    areas = layers["groups"].frame
    colour_of = dict(zip(sorted(areas["group"]), symbol_colours(parsed(layers["groups"].style))))
    geometry = list(areas.geometry)
    for i in range(len(areas)):
        for j in range(i + 1, len(areas)):
            if shapely.intersects(geometry[i], geometry[j]):
                assert colour_of[areas["group"][i]] != colour_of[areas["group"][j]]
    # practices take a darker shade of their group's colour
    practices = parsed(layers["practices"].style)
    dots = dict(zip([c.get("value") for c in practices.iter("category")], symbol_colours(practices)))
    colours = styles.group_colours(areas["group"], styles.neighbouring_groups(run.graph, run.result.labels, areas))
    for group, colour in colours.items():
        assert dots[group] == ",".join(str(int(styles.shade(colour)[i:i + 2], 16)) for i in (1, 3, 5))
        assert colour_of[group] == ",".join(str(int(colour[i:i + 2], 16)) for i in (1, 3, 5))


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 40), st.floats(0.05, 0.5), st.integers(0, 10_000))
def test_group_colours_keep_neighbours_apart_in_any_planar_map(groups: int, _, seed: int) -> None:
    graph = nx.triangular_lattice_graph(1, groups) if groups > 3 else nx.path_graph(groups)
    names = {node: f"G{number:03d}" for number, node in enumerate(sorted(graph))}
    pairs = [(names[a], names[b]) for a, b in graph.edges()]
    colours = styles.group_colours(names.values(), pairs)
    assert all(colours[a] != colours[b] for a, b in pairs)
    assert colours == styles.group_colours(sorted(names.values(), reverse=True), reversed(pairs))  # deterministic
