"""The panes of hpctui's main screen, one module each; each pane owns its handlers."""
