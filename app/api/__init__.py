"""The HTTP layer: validate, call the engine or the models, shape the response."""
