"""Keyframe generator backends: text-to-image pipelines and image APIs."""
