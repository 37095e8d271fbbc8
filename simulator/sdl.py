"""The GitLab schema subset shipped next to this package, as text and as a parsed schema."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from graphql import GraphQLSchema, build_schema


def schema_sdl() -> str:
    """The GitLab schema subset shipped next to this module (kept verbatim)."""
    return resources.files("simulator").joinpath("schema.graphql").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def reference_schema() -> GraphQLSchema:
    """The schema without resolvers: what field names and types say, for catalogues."""
    return build_schema(schema_sdl())
