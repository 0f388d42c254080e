"""Pydantic request/response models, one module per topic; they carry the limits."""
