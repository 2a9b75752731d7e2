"""Core of hpctui: everything that decides or computes. Never imports Textual."""
