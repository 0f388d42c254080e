"""Request and response models for receptive-field."""
