"""MNIST: IDX data, the cnn and fc models, training, preprocessing of drawings, inference."""
