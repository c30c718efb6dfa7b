"""Attention capture (a transformers attention backend) and the math of the stored maps."""
