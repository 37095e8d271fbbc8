"""Vocabularies that make generated `extras` look like what GitLab records.

Values are module-level tuples and strings so that millions of events share them.
"""

from __future__ import annotations

# Key order of each kind of `extras`, as the GitLab tracking definitions list them.
CODE_SUGGESTION_KEYS: tuple[str, ...] = (
    "unique_tracking_id",
    "suggestion_size",
    "language",
    "branch_name",
    "ide_name",
    "ide_vendor",
    "ide_version",
    "extension_name",
    "extension_version",
    "language_server_version",
    "model_name",
    "model_engine",
)
AGENT_SESSION_KEYS: tuple[str, ...] = ("project_id", "session_id", "flow_type", "environment")
TROUBLESHOOT_KEYS: tuple[str, ...] = ("job_id", "project_id", "pipeline_id", "merge_request_id")
MCP_START_KEYS: tuple[str, ...] = ("session_id", "tool_name")
MCP_SUCCESS_KEYS: tuple[str, ...] = ("session_id", "tool_name", "has_tool_call_success")
MCP_FAILURE_KEYS: tuple[str, ...] = (
    "session_id",
    "tool_name",
    "has_tool_call_success",
    "failure_reason",
    "error_status",
)

# ide_name, ide_vendor, ide_version, extension_name, extension_version, language_server_version
IDE_PROFILES: dict[str, tuple[str, str, str, str, str, str]] = {
    "vscode": (
        "Visual Studio Code",
        "Microsoft Corporation",
        "1.96.4",
        "GitLab Workflow",
        "5.37.0",
        "7.21.0",
    ),
    "vscode_old": (
        "Visual Studio Code",
        "Microsoft Corporation",
        "1.94.2",
        "GitLab Workflow",
        "5.21.1",
        "7.9.2",
    ),
    "intellij": ("IntelliJ IDEA", "JetBrains", "2024.3.2", "GitLab Duo", "3.6.1", "7.21.0"),
    "pycharm": ("PyCharm", "JetBrains", "2024.3.1", "GitLab Duo", "3.6.1", "7.21.0"),
    "goland": ("GoLand", "JetBrains", "2024.3.1", "GitLab Duo", "3.5.0", "7.19.0"),
    "neovim": ("Neovim", "Neovim", "0.10.3", "gitlab.vim", "1.2.0", "7.20.1"),
    "visual_studio": (
        "Visual Studio",
        "Microsoft Corporation",
        "17.12.3",
        "GitLab Extension for Visual Studio",
        "0.52.0",
        "7.19.0",
    ),
    "eclipse": ("Eclipse", "Eclipse Foundation", "4.34", "GitLab for Eclipse", "1.1.0", "7.18.0"),
}

# (model_name, model_engine, weight). Completion models give short suggestions, generation
# models the long ones.
COMPLETION_MODELS: tuple[tuple[str, str, float], ...] = (
    ("codestral-2501", "fireworks_ai", 6.0),
    ("codestral-2501", "vertex-ai", 3.0),
    ("code-gecko@002", "vertex-ai", 1.0),
)
GENERATION_MODELS: tuple[tuple[str, str, float], ...] = (
    ("claude-sonnet-4-20250514", "anthropic", 7.0),
    ("claude-3-7-sonnet-20250219", "anthropic", 3.0),
)

# (lines of code, weight): most suggestions complete a line or two.
SUGGESTION_SIZES: tuple[tuple[int, float], ...] = tuple(
    (lines, 40.0 / lines**1.3) for lines in range(1, 61)
)
SIZE_STRINGS: tuple[str, ...] = tuple(str(n) for n in range(121))  # suggestion_size is a String
LONG_SUGGESTION_LINES = 8  # from here on a suggestion counts as code generation

BRANCH_NAMES: tuple[str, ...] = (
    "main",
    "develop",
    "feature/rate-limiter",
    "feature/oauth-refresh",
    "feature/checkout-v2",
    "feature/dark-mode",
    "feature/ingest-parquet",
    "feature/offline-sync",
    "fix/null-pointer-login",
    "fix/flaky-e2e",
    "fix/timezone-reports",
    "chore/bump-deps",
    "refactor/storage-layer",
    "feature/search-filters",
    "feature/push-notifications",
    "fix/memory-leak-worker",
    "feature/terraform-eks-1-31",
    "spike/graphql-batching",
    "feature/billing-export",
    "fix/csv-encoding",
    "release/2025.09",
)

AGENT_FLOW_TYPES: tuple[tuple[str, float], ...] = (
    ("chat", 10.0),
    ("software_development", 5.0),
    ("issue_to_merge_request", 2.0),
    ("convert_to_gitlab_ci", 1.0),
    ("fix_pipeline/v1", 2.0),
    ("code_review/v1", 1.5),
)
BOT_FLOW_TYPES: tuple[tuple[str, float], ...] = (
    ("fix_pipeline/v1", 4.0),
    ("code_review/v1", 3.0),
    ("sast_fp_detection/v1", 1.0),
)
HUMAN_ENVIRONMENTS: tuple[tuple[str, float], ...] = (
    ("ide", 5.0),
    ("web", 3.0),
    ("chat", 2.0),
    ("chat_partial", 0.5),
)
BOT_ENVIRONMENTS: tuple[tuple[str, float], ...] = (("ambient", 1.0),)

MCP_TOOLS: tuple[tuple[str, float], ...] = (
    ("get_issue", 5.0),
    ("get_merge_request", 5.0),
    ("get_merge_request_diffs", 3.0),
    ("get_pipeline_jobs", 3.0),
    ("search", 4.0),
    ("semantic_code_search", 3.0),
    ("create_issue", 1.0),
    ("create_merge_request_note", 1.0),
    ("get_mcp_server_version", 0.5),
)
# (failure_reason, error_status)
MCP_FAILURES: tuple[tuple[tuple[str, str], float], ...] = (
    (("tool_execution_error", "500"), 3.0),
    (("not_found", "404"), 2.0),
    (("forbidden", "403"), 1.0),
    (("timeout", "504"), 1.0),
)
