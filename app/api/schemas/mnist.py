"""Request and response models for mnist."""
