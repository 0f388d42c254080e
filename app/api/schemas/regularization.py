"""Request and response models for regularization."""
