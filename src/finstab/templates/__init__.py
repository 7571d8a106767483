"""Input workbook templates: one per input kind, bilingual, validated, with two sample rows.

``write_template(kind, path, system=None)`` writes a workbook an analyst fills in and hands
back to the same readers the pipelines use (see :data:`KINDS`).
"""

from finstab.templates.workbook import KINDS, Sheet, template_sheets, write_template

__all__ = ["KINDS", "Sheet", "template_sheets", "write_template"]
