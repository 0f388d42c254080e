"""Request and response models for conv2d."""
