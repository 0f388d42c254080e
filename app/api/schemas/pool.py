"""Request and response models for pool."""
