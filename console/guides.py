"""The guides in the repository's ``docs/`` folder, served as console pages.

The Markdown files are the one source: a person reading the repository and a biller
reading the console's help read the same text. Rendered once per process with
Python-Markdown (code blocks inside lists by pymdown-extensions' superfences, as GitHub
shows them); links between the guides point at their pages.
"""

import re
from functools import cache

import markdown
from django.conf import settings
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

GUIDES = {
    "api": {"slug": "api", "file": "api.md", "title": _("Open API guide for your developers")},
    "file-format": {"slug": "file-format", "file": "file-format.md", "title": _("The bill file format")},
    "operations": {"slug": "operations", "file": "operations.md", "title": _("Operations guide")},
}
_LINK = re.compile(r'href="(?:docs/)?(?P<slug>[a-z-]+)\.md(?P<anchor>#[^"]*)?"')


@cache
def guide_html(slug: str) -> str:
    """The guide's HTML (its own trusted text, from the repository)."""
    text = (settings.BASE_DIR / "docs" / GUIDES[slug]["file"]).read_text(encoding="utf-8")
    html = markdown.markdown(text, extensions=["tables", "toc", "pymdownx.superfences"], output_format="html")

    def linked(match) -> str:
        if match["slug"] not in GUIDES:
            return match[0]
        return f'href="{reverse("guide", args=[match["slug"]])}{match["anchor"] or ""}"'

    return mark_safe(_LINK.sub(linked, html))  # safe: the repository's own Markdown, not user input
