"""The Textual UI: a thin layer over hpctui.core."""
