"""Singer tap for GitLab Duo (AI) usage analytics."""
