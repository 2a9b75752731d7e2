"""Modal screens: apply confirmation, rejected submission, help, quit confirmation."""
