"""What the agent calls: model backends, the offline studio, judges and media I/O."""
