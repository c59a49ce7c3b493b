"""Video generator backends: diffusers pipelines and video APIs."""
