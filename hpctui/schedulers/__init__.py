"""One small module per batch system: queue command, pure parser, log paths, quirks."""
