"""What runs inside a SageMaker training job (and locally): Ray Train and Ray Tune on MNIST-format data."""
