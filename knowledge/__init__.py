"""The notices as structured, validated data: one YAML file per notice, its schema and loader."""

from knowledge.loader import KnowledgeError, default_notice, load_notice, load_notices, notice_files, notice_path
from knowledge.model import Notice

__all__ = ["KnowledgeError", "Notice", "default_notice", "load_notice", "load_notices", "notice_files", "notice_path"]
