"""No key appears twice in one mapping of the project's YAML. YAML keeps the
last of two equal keys, so a second `arguments:` or `description:` silently
replaces the first (dbt only warns, with DuplicateYAMLKeysDeprecation, and
only when it parses the file again)."""

from __future__ import annotations

import pytest
import yaml
from conftest import PROJECT_DIR


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping holding one key twice."""


def strict_mapping(loader: StrictLoader, node: yaml.MappingNode) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, strict_mapping)


def test_no_yaml_mapping_holds_a_key_twice():
    files = [PROJECT_DIR / "dbt_project.yml", PROJECT_DIR / "profiles.yml"]
    for folder in ["models", "macros", "seeds", "tests", "expectations"]:
        files += sorted((PROJECT_DIR / folder).rglob("*.yml"))
    assert len(files) > 10, files  # the project's YAML was found
    problems = []
    for path in files:
        try:
            yaml.load(path.read_text(), Loader=StrictLoader)
        except yaml.YAMLError as error:
            problems.append(f"{path.relative_to(PROJECT_DIR)}: {error}")
    assert problems == []


def test_the_strict_loader_finds_a_repeated_key():
    text = "macros:\n- name: a\n  arguments: []\n  arguments: []\n"
    with pytest.raises(yaml.constructor.ConstructorError, match="'arguments' appears twice"):
        yaml.load(text, Loader=StrictLoader)
