"""GitLab's schema (the subset the tap reads), as text and as a parsed schema.

It lives once, in the tap package (``tap_gitlab_duo/gitlab_schema.graphql``), because the
tap ships it too: the simulator serves exactly the schema the tap was built against.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from graphql import GraphQLSchema, build_schema


def schema_sdl() -> str:
    """The GitLab schema subset, verbatim."""
    schema = resources.files("tap_gitlab_duo").joinpath("gitlab_schema.graphql")
    return schema.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def reference_schema() -> GraphQLSchema:
    """The schema without resolvers: what field names and types say, for catalogues."""
    return build_schema(schema_sdl())
