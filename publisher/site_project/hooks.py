"""MkDocs hooks of the statistics site."""

from __future__ import annotations

from typing import Any

# Material's drawer/search toggles are checkboxes with autocomplete="off", which HTML does not
# allow on checkboxes (the Nu checker reports an error); they are not in an overridable block.
_TOGGLE_ATTR = ' type="checkbox" id="__drawer" autocomplete="off"'
_SEARCH_ATTR = ' type="checkbox" id="__search" autocomplete="off"'


def on_post_page(output: str, page: Any, config: Any) -> str:
    """Drop the invalid autocomplete attribute from the theme's checkbox toggles; hide search's."""
    output = output.replace(_TOGGLE_ATTR, ' type="checkbox" id="__drawer"')
    # Search is disabled, so its toggle has no label (axe: "form elements must have labels"); it
    # stays in the page, hidden, because the theme's script looks it up.
    return output.replace(_SEARCH_ATTR, ' type="checkbox" id="__search" hidden')


def on_post_template(output_content: str, template_name: str, config: Any) -> str:
    """The same fix for pages rendered from a bare template (404.html)."""
    return on_post_page(output_content, None, config)
