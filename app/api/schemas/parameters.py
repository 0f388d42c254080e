"""Request and response models for parameters."""
