"""Finding a section of a page (keyaccounts/sections.py) in a test client's response."""


def section_context(response, template: str) -> dict:
    """The context of the section of the page drawn with `template`; fails when the page
    shows no such section."""
    for key in ("leading_sections", "sections"):
        for section in response.context.get(key) or ():
            if section.template == template:
                return section.context
    raise AssertionError(f"the page shows no section drawn with {template}")
