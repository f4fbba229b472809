"""Resume parsing: structured, confidence-scored suggestions from a resume's text."""

from applications.resumes.parsing import FIELDS, parse_resume, skill_terms
from applications.resumes.skills import SkillLike, SkillMatcher, SkillTerm

__all__ = ["FIELDS", "SkillLike", "SkillMatcher", "SkillTerm", "parse_resume", "skill_terms"]
