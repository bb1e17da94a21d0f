"""The client side: starts jobs (locally, or on SageMaker) from the user's machine."""
