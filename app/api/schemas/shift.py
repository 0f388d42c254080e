"""Request and response models for shift."""
