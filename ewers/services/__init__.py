"""Writes of the core domain: places and organisations (``places``), accounts with
their passwords and tokens (``accounts``), and organisations with their users from CSV
files (``directory``)."""

from __future__ import annotations

from ewers.services.accounts import (
    ADMINISTRATOR_PERMISSIONS,
    ADMINISTRATORS_GROUP,
    GATEWAY_TOKEN_PREFIX,
    administrators_group_ensure,
    api_token_issue,
    api_token_revoke,
    api_tokens_clear_expired,
    gateway_token_issue,
    gateway_token_sign,
    gateway_tokens_revoke,
    organisation_tokens_revoke,
    sessions_clear_expired,
    user_language_set,
    user_password_set,
    user_tokens_revoke,
    user_upsert,
)
from ewers.services.directory import DirectoryImportError, DirectoryImportResult, directory_import
from ewers.services.place_removal import (
    boundary_import_undo,
    boundary_import_undo_problem,
    region_delete,
    region_delete_problem,
)
from ewers.services.places import (
    REGION_BATCH,
    REGION_READ_CHUNK,
    RegionCounts,
    RegionRow,
    _regions_read,
    organisation_upsert,
    region_ancestor_ids,
    region_placement_check,
    region_scope_filter,
    region_upsert,
    regions_upsert_many,
    theme_upsert,
)

__all__ = [
    "ADMINISTRATORS_GROUP",
    "ADMINISTRATOR_PERMISSIONS",
    "GATEWAY_TOKEN_PREFIX",
    "REGION_BATCH",
    "REGION_READ_CHUNK",
    "DirectoryImportError",
    "DirectoryImportResult",
    "RegionCounts",
    "RegionRow",
    "_regions_read",
    "administrators_group_ensure",
    "api_token_issue",
    "api_token_revoke",
    "api_tokens_clear_expired",
    "boundary_import_undo",
    "boundary_import_undo_problem",
    "directory_import",
    "gateway_token_issue",
    "gateway_token_sign",
    "gateway_tokens_revoke",
    "organisation_tokens_revoke",
    "organisation_upsert",
    "region_ancestor_ids",
    "region_delete",
    "region_delete_problem",
    "region_placement_check",
    "region_scope_filter",
    "region_upsert",
    "regions_upsert_many",
    "sessions_clear_expired",
    "theme_upsert",
    "user_language_set",
    "user_password_set",
    "user_tokens_revoke",
    "user_upsert",
]
