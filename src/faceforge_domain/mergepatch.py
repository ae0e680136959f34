"""JSON merge patch (RFC 7396) as a pure function: how every PATCH in FaceForge changes a record."""

from __future__ import annotations

import copy
from typing import Any

from faceforge_domain.errors import Invalid
from faceforge_domain.jsonlimits import MAX_JSON_DEPTH, json_depth

# A record's free-form values may nest MAX_JSON_DEPTH deep under their own key, inside the patch object;
# one level more is let through so that the value's own check refuses it naming its field.
MAX_PATCH_DEPTH = MAX_JSON_DEPTH + 2


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply ``patch`` to ``target`` and return the result; neither argument is modified.

    An object patch merges key by key: ``null`` removes a key, an object recurses, anything else
    (arrays included) replaces. A patch that is not an object replaces the target outright. A patch
    nested deeper than any stored value may be is ``Invalid`` before the (recursive) merge starts.
    """
    if json_depth(patch, MAX_PATCH_DEPTH) > MAX_PATCH_DEPTH:
        raise Invalid.one("body", f"a merge patch must not nest deeper than {MAX_PATCH_DEPTH} levels")
    return _merge_into(copy.deepcopy(target), patch)


def _merge_into(target: Any, patch: Any) -> Any:
    """Merge into ``target`` (a private copy) in place."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = target if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge_into(result.get(key), value)
    return result
