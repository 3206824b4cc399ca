"""Every model reads top to bottom in one sitting: no `.sql` file under
models/ is longer than the limit pyproject.toml sets for dbt-score. dbt-score
counts a model's code as dbt parsed it; a reader counts the lines of the file
they open, comments and blank lines included, and so does this test."""

from __future__ import annotations

import tomllib

from conftest import PROJECT_DIR

RULE = "dbt_score.rules.generic.sql_has_reasonable_number_of_lines"


def test_no_model_file_is_longer_than_the_house_limit():
    settings = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    limit = settings["tool"]["dbt-score"]["rules"][RULE]["max_lines"]
    lengths = {
        str(path.relative_to(PROJECT_DIR)): len(path.read_text().splitlines())
        for path in sorted((PROJECT_DIR / "models").rglob("*.sql"))
    }
    assert len(lengths) > 20, lengths  # the models were found
    too_long = {path: lines for path, lines in lengths.items() if lines > limit}
    assert too_long == {}, f"longer than {limit} lines: {too_long}"
